"""What `make demo` shows, and the end-to-end test's quick path.

`run_demo` runs the whole-program scenario (`tandem_devkit.program`) on simulated time with a
progress bar per simulated week and prints the metrics service's KPI report. `run_company` is
the short path the end-to-end test takes: HR feed, a program, enrollment and one matching run.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from tandem_contracts import encode
from tandem_contracts.topics import PAIRING
from tandem_devkit.embedded import StackInfo
from tandem_devkit.program import (
    DEMO_COMPANY,
    MANAGER,
    Endpoints,
    ProgramOutcome,
    ProgramScenario,
    ScenarioPlan,
)
from tandem_devkit.runs import run_matching
from tandem_devkit.services import ServiceSet
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_servicekit.testing import read_topic, wait_until
from tandem_simulation import TOPIC_NAMES, company

DEMO_EMPLOYEES = 400
"""The company of `run_company` (the end-to-end test's quick path)."""
DEMO_SEED = 11
PROGRAM = {
    "name": "Digital Leadership 2027",
    "starts_on": "2027-01-11",
    "ends_on": "2027-07-09",
    "duration_weeks": 26,
    "cadence_weeks": 1,
    "session_minutes": 45,
    "format": "one_to_one",
    "topics": list(TOPIC_NAMES),
    "mentor_capacity": 2,
    "auto_accept": True,
}


@dataclass(frozen=True)
class DemoOutcome:
    program_id: str
    run: dict[str, object]
    pair_created_events: int
    sample_pairs: list[dict[str, object]]


async def run_company(
    stack: StackInfo, pairing_url: str, *, employees: int = DEMO_EMPLOYEES, topic_prefix: str = ""
) -> DemoOutcome:
    people = company(employees, seed=DEMO_SEED)
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED, topic_prefix=topic_prefix
    )
    hr = KafkaPublisher(kafka, client_id="demo-hr-system")
    await hr.start()
    try:
        records = [encode(person.hr_event(), source="/hr/demo-workday") for person in people]
        await hr.send_many([ProducerRecord.of(r, topic_prefix) for r in records])
    finally:
        await hr.stop()
    headers = stack.auth_headers("demo-program-manager")
    async with httpx.AsyncClient(base_url=pairing_url, timeout=120, headers=headers) as http:
        await _until_known(http, [p.employee_id for p in people])
        program = _ok(await http.post("/programs", json=PROGRAM)).json()
        program_id = program["program_id"]
        _ok(await http.post(f"/programs/{program_id}/open"))
        enrolled = [p for p in people if p.role is not None]
        for person in enrolled:
            body = person.enrollment_request()
            _ok(await http.post(f"/programs/{program_id}/enrollments", json=body))
        run = await run_matching(http, program_id)
        active: dict[str, str | int] = {"state": "active", "limit": 5}
        sample = _ok(await http.get(f"/programs/{program_id}/pairs", params=active)).json()["items"]
    # ProgramOpened, one ParticipantEnrolled each, then the PairCreated events, in outbox order.
    expected = 1 + len(enrolled) + run["proposed"]
    created = await read_topic(
        stack.kafka_bootstrap, kafka.topic(PAIRING), at_least=expected, timeout_s=30
    )
    pair_created = sum(
        1 for r in created if r.headers.get("ce_type", b"").endswith(b"pair_created.v1")
    )
    return DemoOutcome(program_id, run, pair_created, sample)


def run_demo(
    console: Console,
    stack: StackInfo,
    running: ServiceSet,
    clock_file: Path,
    *,
    employees: int = DEMO_COMPANY,
) -> ProgramOutcome:
    """The whole-program scenario with a progress bar per simulated week, then the metrics
    service's KPI report and where to look further."""
    urls = Endpoints(**{name: svc.url for name, svc in running.services.items()})
    plan = ScenarioPlan(employees=employees, seed=DEMO_SEED, settle_daily=False)
    scenario = ProgramScenario(
        stack,
        urls,
        clock_file,
        plan,
        topic_prefix=running.topic_prefix,
        database_suffix=running.database_suffix,
    )
    console.print(
        f"\n[bold]Synthetic company[/bold]: {employees:,} employees → HR feed on Kafka, a "
        f"{plan.weeks}-week weekly program of {plan.session_minutes}-minute sessions, "
        "enrollment over HTTP, a matching run, then the weeks on simulated time …"
    )
    started = time.monotonic()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} days"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        setup = progress.add_task("HR feed, enrollment, matching, planning", total=None)
        weeks: dict[int, TaskID] = {}

        def on_day(day: int, on: date) -> None:
            progress.update(setup, visible=False)
            week = day // 7
            if week not in weeks:
                label = f"week {week + 1:>2} ({on.isoformat()})"
                if week >= plan.weeks:
                    label = f"close-out ({on.isoformat()})"
                length = min(7, plan.days - 7 * week)
                weeks[week] = progress.add_task(label, total=length)
            progress.advance(weeks[week])

        def on_phase(name: str, seconds: float) -> None:
            progress.console.print(f"  {name}: {seconds:.1f} s")

        outcome = asyncio.run(scenario.run(on_day, on_phase))
    console.print(
        f"Program {outcome.program_id}: {outcome.run['proposed']} pairs from "
        f"{outcome.run['mentors']} mentors and {outcome.run['mentees']} mentees; "
        f"{time.monotonic() - started:.0f} s in all (setup {outcome.setup_seconds:.0f} s: "
        + ", ".join(f"{k} {v:.0f} s" for k, v in outcome.phases.items())
        + "; "
        f"{sum(outcome.seconds_per_week) / max(1, len(outcome.seconds_per_week)):.1f} s per "
        "simulated week)"
    )
    if scenario.busy_answers:
        console.print(f"{scenario.busy_answers} requests were answered 503 and sent again")
    print_report(console, outcome.report)
    print_links(console, stack, running, outcome)
    return outcome


def print_report(console: Console, report: dict[str, Any]) -> None:
    """The metrics service's numbers (not the simulator's)."""
    table = Table(title="Program KPIs, as the metrics service reports them")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    sessions = report["sessions"]
    rows = [
        ("participation", _ratio(report["participation"])),
        ("match rate", _ratio(report["match_rate"])),
        ("pairs ended, by reason", _counts(report["ended_pairs_by_reason"])),
        ("early closure rate", _ratio(report["early_closure_rate"])),
        ("sessions", _counts(sessions)),
        ("session completion", _ratio(report["session_completion"])),
        ("cadence adherence", _ratio(report["cadence_adherence"])),
        ("mentoring hours", f"{report['mentoring_seconds'] / 3600:,.0f}"),
    ]
    for side in ("mentor", "mentee"):
        side_feedback = report["feedback"][side]
        rows.append((f"{side} feedback completion", _figure(side_feedback["completion"], "%")))
        rows.append((f"{side} feedback rating (1-5)", _figure(side_feedback["rating"])))
    rows += [
        ("mentoring quality (MQS, 1-5)", _figure(report["mqs"])),
        ("net promoter score", _figure(report["nps"])),
    ]
    for topic in report["competence"]:
        rows.append(
            (
                f"competence gain: {topic['topic_name']} (self / partner)",
                f"{_figure(topic['self_delta'])} / {_figure(topic['partner_delta'])}",
            )
        )
    retention = report["retention"]
    rows.append(("departures: participants / others", _retention(retention)))
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def print_links(
    console: Console, stack: StackInfo, running: ServiceSet, outcome: ProgramOutcome
) -> None:
    services = running.services
    state = stack.state_dir
    token = f"$(tandem dev token --state-dir {state} --employee {MANAGER} --role program_manager)"
    report = f"{services['metrics'].url}/programs/{outcome.program_id}/report.html"
    console.print(f"Report page: {report}")
    console.print(f'  curl -H "Authorization: Bearer {token}" {report}')
    console.print(
        "Prometheus metrics: " + " · ".join(f"{s.url}/metrics" for s in services.values())
    )
    mentors = sorted({p.mentor_id for p in outcome.truth.pairs.values()})[:3]
    console.print("Calendar feeds (each person reads their own):")
    for person in mentors:
        person_token = (
            f"$(tandem dev token --state-dir {state} --employee {person} --role participant)"
        )
        url = f"{services['scheduling'].url}/people/{person}/calendar.ics"
        console.print(f'  curl -H "Authorization: Bearer {person_token}" {url}')


def _ratio(ratio: dict[str, Any]) -> str:
    if ratio["value"] is None:
        return "—"
    return f"{100 * ratio['value']:.1f}% ({ratio['numerator']:,}/{ratio['denominator']:,})"


def _figure(figure: dict[str, Any], unit: str = "") -> str:
    if figure["suppressed"] or figure["value"] is None:
        return "suppressed (< k people)"
    value = 100 * figure["value"] if unit == "%" else figure["value"]
    return f"{value:.1f}{unit} (n={figure['respondents']})" if unit else f"{value:.2f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()) if v) or "none"


def _retention(retention: dict[str, Any]) -> str:
    return f"{_ratio(retention['participants'])} / {_ratio(retention['others'])}"


def _ok(response: httpx.Response) -> httpx.Response:
    """The response, or an error that says which call failed and what the service answered."""
    if response.status_code >= 400:
        request = response.request
        raise RuntimeError(
            f"{request.method} {request.url}: {response.status_code} {response.text}"
        )
    return response


async def _until_known(
    http: httpx.AsyncClient, employee_ids: list[str], timeout_s: float = 60
) -> None:
    """Wait until the pairing projection has consumed the HR events (it is asynchronous)."""
    missing = [employee_ids[-1], *employee_ids]

    async def all_known() -> bool:
        while missing and (await http.get(f"/employees/{missing[0]}")).status_code == 200:
            missing.pop(0)
        return not missing

    await wait_until(all_known, timeout_s, 0.1, what="pairing receiving the HR events")
