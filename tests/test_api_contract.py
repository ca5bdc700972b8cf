"""schemathesis against every service's OpenAPI, on the services as separate processes.

All checks but `positive_data_acceptance` (cross-field rules such as "ends_on after starts_on",
"a slot ends after it starts" or "a known IANA zone" cannot be expressed in JSON Schema, so some
schema-valid bodies are rightly refused with 422): no server error, every response as
documented (status code, content type, body schema, `Allow` on 405), invalid input refused.
The pairing service is seeded first (employees over Kafka, a program, enrollments, a matching
run) and schemathesis is handed those ids, so requests reach the logic behind the 404s.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tandem_contracts import encode
from tandem_contracts.events import (
    EmployeeHired,
    SessionHeld,
)
from tandem_contracts.examples import AT
from tandem_devkit.embedded import StackInfo
from tandem_devkit.runs import run_matching
from tandem_devkit.services import SERVICES, ServiceSet
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, Profile
from tandem_servicekit.testing import wait_until

from .seeds import program_and_pair

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
SEEDER = "st-manager"
"""Seeds the pairing data and calls with every role, so requests get past authorisation."""
MORNINGS = {
    "time_zone": "Europe/Berlin",
    "slots": [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)],
}


async def seed_pairing(url: str, stack: StackInfo, prefix: str) -> dict[str, str]:
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED, topic_prefix=prefix
    )
    people = [
        EmployeeHired(
            employee_id=f"st-{n}",
            department=f"D{n}",
            job_level=1 if n < 3 else 8,
            languages=("en",),
            time_zone="Europe/Berlin",
            hired_on=AT.date(),
            effective_at=AT,
        )
        for n in range(6)
    ]
    hr = KafkaPublisher(kafka, client_id="st-hr")
    await hr.start()
    await hr.send_many([ProducerRecord.of(encode(p, source="/hr/st"), prefix) for p in people])
    await hr.stop()
    headers = stack.auth_headers(SEEDER)
    async with httpx.AsyncClient(base_url=url, timeout=30, headers=headers) as http:

        async def known() -> bool:
            return (await http.get("/employees/st-5")).status_code == 200

        await wait_until(known, 30)
        program = {
            "name": "Contract test",
            "starts_on": "2027-01-11",
            "ends_on": "2027-07-09",
            "duration_weeks": 26,
            "session_minutes": 45,
            "topics": ["ai_tools"],
            "mentor_capacity": 2,
        }
        program_id = (await http.post("/programs", json=program)).json()["program_id"]
        await http.post(f"/programs/{program_id}/open")
        enrollment_id = ""
        for n, person in enumerate(people):
            mentor = n < 3
            body: dict[str, object] = {
                "employee_id": person.employee_id,
                "role": "mentor" if mentor else "mentee",
                "availability": MORNINGS,
                "expertise" if mentor else "goals": [
                    {"topic": "ai_tools", "level" if mentor else "priority": 4}
                ],
            }
            reply = await http.post(f"/programs/{program_id}/enrollments", json=body)
            reply.raise_for_status()
            enrollment_id = reply.json()["enrollment_id"]
        run = await run_matching(http, program_id)
        pairs = (await http.get(f"/programs/{program_id}/pairs")).json()["items"]
    assert pairs, "the seed must leave proposals for accept/decline to act on"
    return {
        "path.program_id": program_id,
        "path.enrollment_id": enrollment_id,
        "path.run_id": run["run_id"],
        "path.pair_id": pairs[0]["pair_id"],
        "path.employee_id": "st-5",
        "query.employee_id": "st-5",
    }


async def seed_scheduling(url: str, stack: StackInfo, prefix: str) -> dict[str, str]:
    """A program the seeder manages and a pair with the seeder as mentee, published on the
    pairing topic as pairing would, so the session routes have real sessions to act on."""
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED, topic_prefix=prefix
    )
    events = program_and_pair(
        program_id="st-prog",
        pair_id="st-pair",
        manager=SEEDER,
        mentor="st-mentor",
        mentee=SEEDER,
        starts_on=date.today(),
        weeks=6,
    )
    pairing = KafkaPublisher(kafka, client_id="st-pairing")
    await pairing.start()
    await pairing.send_many(
        [ProducerRecord.of(encode(e, source="/tandem/pairing"), prefix) for e in events]
    )
    await pairing.stop()
    listing: dict[str, object] = {}
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers=stack.auth_headers(SEEDER)
    ) as http:

        async def published() -> bool:
            reply = await http.get("/pairs/st-pair/sessions")
            listing.update(reply.json() if reply.status_code == 200 else {})
            return bool(listing.get("items"))

        await wait_until(published, timeout_s=30)
    items = listing["items"]
    assert isinstance(items, list)
    return {
        "path.session_id": items[0]["session_id"],
        "path.pair_id": "st-pair",
        "path.employee_id": SEEDER,
    }


async def seed_feedback(url: str, stack: StackInfo, prefix: str) -> dict[str, str]:
    """A program the seeder manages, a pair with the seeder as mentee and a held session, and a
    goal of the seeder's, so the feedback routes reach their logic."""
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED, topic_prefix=prefix
    )
    start = date.today() - timedelta(days=40)
    events = [
        *program_and_pair(
            program_id="st-fb-prog",
            pair_id="st-fb-pair",
            manager=SEEDER,
            mentor="st-fb-mentor",
            mentee=SEEDER,
            starts_on=start,
            weeks=26,
            created_at=datetime.combine(start, datetime.min.time(), UTC),
        ),
        SessionHeld(
            session_id="st-fb-session",
            pair_id="st-fb-pair",
            program_id="st-fb-prog",
            held_at=datetime.combine(start, datetime.min.time(), UTC) + timedelta(days=7),
            duration_minutes=30,
        ),
    ]
    producer = KafkaPublisher(kafka, client_id="st-feedback")
    await producer.start()
    await producer.send_many(
        [ProducerRecord.of(encode(e, source="/tandem/seed"), prefix) for e in events]
    )
    await producer.stop()
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers=stack.auth_headers(SEEDER)
    ) as http:

        async def requested() -> bool:
            reply = await http.get("/sessions/st-fb-session/feedback")
            return reply.status_code == 404 and "not given" in reply.text

        await wait_until(requested, timeout_s=30)
        goal = await http.post(
            "/pairs/st-fb-pair/goals",
            json={
                "topic_name": "ai_tools",
                "description": "Prompts",
                "target_level": 4,
                "milestones": [{"title": "First prompt"}],
            },
        )
        goal.raise_for_status()
    return {
        "path.session_id": "st-fb-session",
        "path.pair_id": "st-fb-pair",
        "path.program_id": "st-fb-prog",
        "path.employee_id": SEEDER,
        "path.goal_id": goal.json()["goal_id"],
        "path.milestone_id": goal.json()["milestones"][0]["milestone_id"],
        "path.survey_id": "st-fb-pair.mqs.1",
    }


async def seed_metrics(url: str, stack: StackInfo, prefix: str) -> dict[str, str]:
    """A program the seeder manages with one pair, as pairing announces them."""
    kafka = KafkaSettings(
        bootstrap_servers=stack.kafka_bootstrap, profile=Profile.EMBEDDED, topic_prefix=prefix
    )
    events = program_and_pair(
        program_id="st-mx-prog",
        pair_id="st-mx-pair",
        manager=SEEDER,
        mentor="st-mx-mentor",
        mentee="st-mx-mentee",
        starts_on=date.today(),
        weeks=6,
    )
    producer = KafkaPublisher(kafka, client_id="st-metrics")
    await producer.start()
    await producer.send_many(
        [ProducerRecord.of(encode(e, source="/tandem/seed"), prefix) for e in events]
    )
    await producer.stop()
    async with httpx.AsyncClient(
        base_url=url, timeout=30, headers=stack.auth_headers(SEEDER)
    ) as http:

        async def known() -> bool:
            return (await http.get("/programs/st-mx-prog/report")).status_code == 200

        await wait_until(known, timeout_s=30)
    return {"path.program_id": "st-mx-prog"}


SEEDS = {
    "pairing": seed_pairing,
    "scheduling": seed_scheduling,
    "feedback": seed_feedback,
    "metrics": seed_metrics,
}


@pytest.mark.parametrize("name", SERVICES)
async def test_schemathesis_finds_nothing(
    name: str, platform: ServiceSet, embedded_stack: StackInfo, tmp_path: Path
) -> None:
    service = platform.services[name]
    parameters: dict[str, str] = {}
    if name in SEEDS:
        parameters = await SEEDS[name](service.url, embedded_stack, platform.topic_prefix)
    config = tmp_path / "schemathesis.toml"
    lines = ["[parameters]", *(f'"{k}" = "{v}"' for k, v in parameters.items())]
    config.write_text("\n".join(lines) + "\n")
    result = await asyncio.to_thread(
        subprocess.run,
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "run",
            f"{service.url}/openapi.json",
            "--header",
            f"Authorization: {embedded_stack.auth_headers(SEEDER)['Authorization']}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "25",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--generation-deterministic",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = result.stdout + result.stderr
    (tmp_path / "schemathesis.log").write_text(report)
    assert result.returncode == 0, report[-6000:]
    assert "passed" in result.stdout
