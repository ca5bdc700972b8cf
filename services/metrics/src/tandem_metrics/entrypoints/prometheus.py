"""Program KPIs as Prometheus series, labelled by program (never by person): a snapshot of
every program's KPIs, recomputed every `refresh_s` in the background, served at scrape time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from tandem_contracts.anonymity import Figure
from tandem_metrics.adapters.unit_of_work import MongoMetricsUnitOfWork
from tandem_metrics.domain.kpis import TIME_TO_MATCH_BUCKETS_S, ProgramKpis, Ratio
from tandem_metrics.service.kpis import all_programs
from tandem_metrics.settings import MetricsRules
from tandem_servicekit.logging import get_logger
from tandem_servicekit.runtime import ServiceRuntime

log = get_logger("tandem.metrics.kpis")
P = "tandem_program_"


class ProgramKpiCollector(Collector):
    def __init__(self) -> None:
        self.snapshot: list[ProgramKpis] = []

    def collect(self) -> Iterator[Metric]:
        def gauge(name: str, doc: str, *labels: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(P + name, doc, labels=["program", *labels])

        ratios = {
            "participation_ratio": ("Enrolled employees ÷ active employees", "participation"),
            "match_rate_ratio": ("Matched mentees ÷ enrolled mentees", "match_rate"),
            "acceptance_ratio": ("Proposals accepted ÷ proposals decided", "acceptance_rate"),
            "early_closure_ratio": ("Pairs ended early ÷ pairs", "early_closure_rate"),
            "session_completion_ratio": ("Held sessions ÷ due sessions", "session_completion"),
            "cadence_adherence_ratio": (
                "Cadence windows of the pairs with a held session ÷ all complete windows",
                "cadence_adherence",
            ),
        }
        families = {n: gauge(n, doc) for n, (doc, _) in ratios.items()}
        active = gauge("active_pairs", "Pairs created and not ended")
        ended = gauge("ended_pairs", "Pairs ended, by reason", "reason")
        sessions = gauge("sessions", "Sessions by state", "status")
        hours = gauge("mentoring_seconds", "Time spent in held sessions")
        completion = gauge(
            "feedback_completion_ratio", "Feedback given ÷ asked (k-anonymous)", "side"
        )
        rating = gauge("feedback_rating", "Mean feedback rating 1-5 (k-anonymous)", "side")
        mqs = gauge("mqs", "Mean Mentoring Quality Score 1-5 (k-anonymous)")
        nps = gauge("nps", "Net Promoter Score -100..100 (k-anonymous)")
        goals = gauge("goal_completion_ratio", "Share of goals achieved per owner (k-anonymous)")
        delta = gauge(
            "competence_delta",
            "Mean final minus baseline level per topic, self or partner view (k-anonymous)",
            "topic",
            "view",
        )
        retention = gauge(
            "retention_delta_ratio", "Departure rate of participants minus that of others"
        )
        to_match = HistogramMetricFamily(
            P + "time_to_match_seconds",
            "From a mentee's enrollment to their pair",
            labels=["program"],
        )
        for kpis in self.snapshot:
            program = kpis.program_id
            for name, (_, field) in ratios.items():
                _ratio(families[name], [program], getattr(kpis, field))
            active.add_metric([program], kpis.active_pairs)
            for reason, count in kpis.ended_pairs_by_reason.items():
                ended.add_metric([program, reason], count)
            for status, count in kpis.sessions.items():
                sessions.add_metric([program, status], count)
            hours.add_metric([program], kpis.mentoring_seconds)
            for side, figures in kpis.feedback.items():
                _figure(completion, [program, side], figures.completion)
                _figure(rating, [program, side], figures.rating)
            _figure(mqs, [program], kpis.mqs)
            _figure(nps, [program], kpis.nps)
            _figure(goals, [program], kpis.goal_completion)
            for topic in kpis.competence:
                _figure(delta, [program, topic.topic_name, "self"], topic.self_delta)
                _figure(delta, [program, topic.topic_name, "partner"], topic.partner_delta)
            if kpis.retention.delta is not None:
                retention.add_metric([program], kpis.retention.delta)
            waits = kpis.time_to_match_seconds
            buckets = [(_le(b), sum(1 for w in waits if w <= b)) for b in TIME_TO_MATCH_BUCKETS_S]
            to_match.add_metric([program], [*buckets, ("+Inf", len(waits))], sum_value=sum(waits))
        yield from families.values()
        yield from (active, ended, sessions, hours, completion, rating, mqs, nps)
        yield from (goals, delta, retention)
        yield to_match


def _le(bound: float) -> str:
    return str(float(bound))


def _ratio(family: GaugeMetricFamily, labels: list[str], value: Ratio) -> None:
    if value.value is not None:
        family.add_metric(labels, value.value)


def _figure(family: GaugeMetricFamily, labels: list[str], value: Figure) -> None:
    """Suppressed figures are absent, never 0 (an absent series is not a low one)."""
    if value.value is not None:
        family.add_metric(labels, value.value)


def register(runtime: ServiceRuntime[MongoMetricsUnitOfWork], rules: MetricsRules) -> None:
    collector = ProgramKpiCollector()
    runtime.registry.register(collector)

    async def refresh() -> None:
        while True:
            with contextlib.suppress(Exception):
                async with runtime.unit_of_work() as uow:
                    collector.snapshot = await all_programs(uow, rules.anonymity_threshold)
            await asyncio.sleep(rules.refresh_s)

    runtime.background(refresh)
