"""Tandem's Grafana dashboard, generated in code with grafana-foundation-sdk.

`python tools/grafana_dashboard.py` rewrites deploy/grafana/tandem.json; the tests check that
the committed JSON is current, that promtool accepts every panel's PromQL, and that every
series a panel reads is one the services expose.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import DataSourceRef

OUTPUT = Path(__file__).resolve().parents[1] / "deploy" / "grafana" / "tandem.json"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="${datasource}")
P = 'program="$program"'
PROCESSED = 'tandem_consumer_records_total{outcome="processed"}'
DEAD = "tandem_dead_letter_records_total"
WAITS = f"sum by (le) (tandem_program_time_to_match_seconds_bucket{{{P}}})"


def query(expr: str, legend: str = "") -> Dataquery:
    q = Dataquery().expr(expr).datasource(PROMETHEUS)
    return q.legend_format(legend) if legend else q


def series(title: str, unit: str, *queries: Dataquery, description: str = "") -> Timeseries:
    panel = Timeseries().title(title).unit(unit).datasource(PROMETHEUS).span(8).height(8)
    for q in queries:
        panel = panel.with_target(q)
    return panel.description(description) if description else panel


def stat(title: str, unit: str, expr: str, description: str = "") -> Stat:
    panel = (
        Stat()
        .title(title)
        .unit(unit)
        .datasource(PROMETHEUS)
        .span(4)
        .height(4)
        .with_target(query(expr))
    )
    return panel.description(description) if description else panel


def build() -> Dashboard:
    rate = "[$__rate_interval]"
    return (
        Dashboard("Tandem")
        .uid("tandem-overview")
        .tags(["tandem", "generated"])
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_variable(
            QueryVariable("program")
            .label("Program")
            .datasource(PROMETHEUS)
            .query("label_values(tandem_program_active_pairs, program)")
        )
        .with_row(Row("Operations"))
        .with_panel(
            series(
                "Events consumed",
                "reqps",
                query(
                    f"sum by (job) (rate({PROCESSED}{rate}))",
                    "{{job}}",
                ),
            )
        )
        .with_panel(
            series(
                "Consumer lag",
                "short",
                query("sum by (job, topic) (tandem_consumer_lag_records)", "{{job}} {{topic}}"),
                description="Records the consumer groups have not committed yet",
            )
        )
        .with_panel(
            series(
                "Dead letters",
                "short",
                query(
                    f"sum by (job, topic, reason) (increase({DEAD}{rate}))",
                    "{{job}} {{topic}} {{reason}}",
                ),
            )
        )
        .with_panel(
            series(
                "Outbox backlog",
                "short",
                query("sum by (job) (tandem_outbox_pending_records)", "{{job}}"),
            )
        )
        .with_panel(
            series(
                "Errors",
                "reqps",
                query(
                    f"sum by (job, kind) (rate(tandem_consumer_retries_total{rate}))",
                    "retries {{job}} {{kind}}",
                ),
                query(
                    f"sum by (job) (rate(tandem_outbox_publish_failures_total{rate}))",
                    "publish failures {{job}}",
                ),
            )
        )
        .with_panel(
            series(
                "Ready",
                "short",
                query("min by (job) (tandem_service_ready)", "{{job}}"),
                query('min by (job) (up{job=~"tandem-.*"})', "up {{job}}"),
            )
        )
        .with_row(Row("Program $program"))
        .with_panel(
            stat("Participation", "percentunit", f"tandem_program_participation_ratio{{{P}}}")
        )
        .with_panel(
            stat("Mentees matched", "percentunit", f"tandem_program_match_rate_ratio{{{P}}}")
        )
        .with_panel(
            stat("Proposals accepted", "percentunit", f"tandem_program_acceptance_ratio{{{P}}}")
        )
        .with_panel(stat("Active pairs", "short", f"tandem_program_active_pairs{{{P}}}"))
        .with_panel(
            stat(
                "Session completion",
                "percentunit",
                f"tandem_program_session_completion_ratio{{{P}}}",
            )
        )
        .with_panel(
            stat(
                "Cadence adherence", "percentunit", f"tandem_program_cadence_adherence_ratio{{{P}}}"
            )
        )
        .with_panel(stat("Mentoring time", "s", f"tandem_program_mentoring_seconds{{{P}}}"))
        .with_panel(
            series(
                "Sessions by state",
                "short",
                query(f"tandem_program_sessions{{{P}}}", "{{status}}"),
            )
        )
        .with_panel(
            series(
                "Ended pairs by reason",
                "short",
                query(f"tandem_program_ended_pairs{{{P}}}", "{{reason}}"),
                query(f"tandem_program_early_closure_ratio{{{P}}}", "early closure rate"),
            )
        )
        .with_panel(
            series(
                "Time to match (median, 90th percentile)",
                "s",
                query(
                    f"histogram_quantile(0.5, {WAITS})",
                    "median",
                ),
                query(
                    f"histogram_quantile(0.9, {WAITS})",
                    "90th percentile",
                ),
            )
        )
        .with_panel(
            series(
                "Feedback",
                "short",
                query(f"tandem_program_feedback_completion_ratio{{{P}}}", "completion {{side}}"),
                query(f"tandem_program_feedback_rating{{{P}}}", "rating {{side}}"),
                description="Absent while fewer than the anonymity threshold of people answered",
            )
        )
        .with_panel(
            series(
                "MQS and NPS",
                "short",
                query(f"tandem_program_mqs{{{P}}}", "MQS (1-5)"),
                query(f"tandem_program_nps{{{P}}}", "NPS (-100..100)"),
            )
        )
        .with_panel(
            series(
                "Competence gained",
                "short",
                query(f"tandem_program_competence_delta{{{P}}}", "{{topic}} ({{view}})"),
                query(f"tandem_program_goal_completion_ratio{{{P}}}", "goals achieved"),
                query(f"tandem_program_retention_delta_ratio{{{P}}}", "retention delta"),
            )
        )
    )


def render() -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(build().build()) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render())
    sys.stdout.write(f"wrote {OUTPUT}\n")
