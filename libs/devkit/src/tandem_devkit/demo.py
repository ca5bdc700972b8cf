"""The demo scenario: a small synthetic company run through the live services.

HR events go over Kafka, a program is opened and everyone enrolls over HTTP, a matching run
proposes pairs (auto-accepted), and a summary is printed. The end-to-end tests run the same.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.table import Table

from tandem_contracts import encode
from tandem_contracts.topics import PAIRING
from tandem_devkit.embedded import StackInfo
from tandem_devkit.runs import run_matching
from tandem_devkit.services import ServiceSet
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_servicekit.testing import read_topic, wait_until
from tandem_simulation import TOPIC_NAMES, company

DEMO_EMPLOYEES = 400
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


def run_demo(console: Console, stack: StackInfo, running: ServiceSet) -> None:
    pairing = running.services["pairing"].url
    console.print(
        f"\n[bold]Synthetic company[/bold]: {DEMO_EMPLOYEES} employees → HR events on Kafka, "
        "a program, enrollment over HTTP, a matching run …"
    )
    started = time.monotonic()
    outcome = asyncio.run(run_company(stack, pairing))
    run = outcome.run
    console.print(
        f"Program [bold]{PROGRAM['name']}[/bold] ({outcome.program_id}): "
        f"{run['mentors']} mentors, {run['mentees']} mentees → {run['proposed']} pairs, "
        f"average score {run['average_score']:.3f}, "
        f"{outcome.pair_created_events} PairCreated events on Kafka "
        f"({time.monotonic() - started:.1f} s end to end)"
    )
    reasons = run["unmatched_by_reason"]
    if isinstance(reasons, dict) and reasons:
        console.print(
            "Unmatched mentees by reason: "
            + ", ".join(f"{k} {v}" for k, v in Counter(reasons).most_common())
        )
    table = Table(title="Some pairs and why")
    for column in ("mentor", "mentee", "topics", "topic fit", "common min", "cross-dept", "score"):
        table.add_column(column)
    for pair in outcome.sample_pairs:
        b = pair["breakdown"]
        assert isinstance(b, dict)
        table.add_row(
            str(pair["mentor_id"]),
            str(pair["mentee_id"]),
            ", ".join(b["shared_topics"]),
            f"{b['topic_fit']:.2f}",
            str(b["common_minutes"]),
            "yes" if b["cross_department"] else "no",
            f"{b['total']:.3f}",
        )
    console.print(table)
    console.print(
        f"Pairs: {pairing}/programs/{outcome.program_id}/pairs · API docs: {pairing}/docs"
    )


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
