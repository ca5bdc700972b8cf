"""GDPR erasure across the four services, each its own process.

An hr_admin asks pairing to erase a mentee who is enrolled and paired. Every service confirms
with `PersonalDataErased` (the same request id) on `tandem.privacy.v1`; afterwards no
collection of any service's database holds the person's id anywhere (documents, outbox values,
keys and headers included), and the program's aggregates count what happened as before.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from tandem_contracts import encode
from tandem_contracts.events import EmployeeHired
from tandem_contracts.examples import AT
from tandem_contracts.topics import PRIVACY
from tandem_devkit.embedded import StackInfo
from tandem_devkit.runs import run_matching
from tandem_devkit.services import SERVICES, ServiceSet
from tandem_servicekit.mongo import make_client
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile
from tandem_servicekit.testing import read_topic, wait_until

ERASED = "er-mentee-7"


def mentions(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value
    if isinstance(value, bytes):
        return needle.encode() in value
    if isinstance(value, dict):
        return any(mentions(k, needle) or mentions(v, needle) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(mentions(v, needle) for v in value)
    return False


async def test_an_erased_person_leaves_no_trace_and_the_counts_stay(
    platform: ServiceSet, embedded_stack: StackInfo
) -> None:
    prefix = platform.topic_prefix
    kafka = KafkaSettings(
        bootstrap_servers=embedded_stack.kafka_bootstrap,
        profile=Profile.EMBEDDED,
        topic_prefix=prefix,
    )
    people = [
        EmployeeHired(
            employee_id=employee_id,
            manager_id=manager,
            department=department,
            job_level=level,
            languages=("en",),
            time_zone="Europe/Berlin",
            hired_on=AT.date(),
            effective_at=AT,
        )
        for employee_id, manager, department, level in (
            ("er-boss", None, "Board", 12),
            ("er-mentor", "er-boss", "IT", 1),
            (ERASED, None, "Sales", 8),
            ("er-report", ERASED, "Sales", 3),
        )
    ]
    hr = KafkaPublisher(kafka, client_id="er-hr")
    await hr.start()
    await hr.send_many([ProducerRecord.of(encode(p, source="/hr/er"), prefix) for p in people])
    await hr.stop()
    manager = embedded_stack.auth_headers("er-pm", ["program_manager"])
    hr_admin = embedded_stack.auth_headers("er-hr", ["hr_admin"])
    pairing = platform.services["pairing"].url
    async with httpx.AsyncClient(base_url=pairing, timeout=60) as http:

        async def known() -> bool:
            reply = await http.get("/employees/er-report", headers=hr_admin)
            return reply.status_code == 200

        await wait_until(known, 30)
        body = {
            "name": "Erasure",
            "starts_on": "2027-01-11",
            "ends_on": "2027-07-09",
            "duration_weeks": 26,
            "session_minutes": 45,
            "topics": ["ai_tools"],
            "auto_accept": True,
        }
        program_id = (await http.post("/programs", json=body, headers=manager)).json()["program_id"]
        await http.post(f"/programs/{program_id}/open", headers=manager)
        slots = [{"weekday": d, "start": "09:00", "end": "11:00"} for d in range(5)]
        for employee_id, role, topics in (
            ("er-mentor", "mentor", {"expertise": [{"topic": "ai_tools", "level": 5}]}),
            (ERASED, "mentee", {"goals": [{"topic": "ai_tools", "priority": 5}]}),
        ):
            enrollment = {
                "employee_id": employee_id,
                "role": role,
                "availability": {"time_zone": "Europe/Berlin", "slots": slots},
                **topics,
            }
            reply = await http.post(
                f"/programs/{program_id}/enrollments", json=enrollment, headers=manager
            )
            assert reply.status_code == 201, reply.text
        run = await run_matching(http, program_id, headers=manager)
        assert run["proposed"] == 1
        scheduling = platform.services["scheduling"].url
        themselves = embedded_stack.auth_headers(ERASED, ["participant"])

        async def planned() -> bool:  # so the erasure has sessions to act on in scheduling
            reply = await http.get(f"{scheduling}/people/{ERASED}/sessions", headers=themselves)
            return reply.status_code == 200 and reply.json()["total"] > 0

        await wait_until(planned, 30)
        pairs_before = (await http.get(f"/programs/{program_id}/pairs", headers=manager)).json()

        refused = await http.post(f"/employees/{ERASED}/erasure", headers=manager)
        assert refused.status_code == 403, "only hr_admin asks for erasure"
        accepted = await http.post(f"/employees/{ERASED}/erasure", headers=hr_admin)
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]

        confirmations = await read_topic(
            embedded_stack.kafka_bootstrap, prefix + PRIVACY, at_least=len(SERVICES), timeout_s=60
        )
        confirmed = {
            json.loads(r.value or b"{}")["service"]
            for r in confirmations
            if json.loads(r.value or b"{}").get("request_id") == request_id
        }
        assert confirmed == set(SERVICES), confirmed

        run_after = (await http.get(f"/matching-runs/{run['run_id']}", headers=manager)).json()
        pairs_after = (await http.get(f"/programs/{program_id}/pairs", headers=manager)).json()
        assert (run_after["proposed"], run_after["mentees"]) == (run["proposed"], run["mentees"])
        assert pairs_after["total"] == pairs_before["total"] == 1

    client = make_client(MongoSettings(uri=embedded_stack.mongo_uri))

    async def outbox_settled() -> bool:
        for name in SERVICES:
            db = client[f"tandem_{name}_{prefix.removeprefix('e2e').rstrip('.')}"]
            if await db["outbox"].count_documents({"published_at": None}):
                return False
        return True

    await wait_until(outbox_settled, 30)
    traces: list[str] = []
    scanned = 0
    for name in SERVICES:
        db = client[f"tandem_{name}_{prefix.removeprefix('e2e').rstrip('.')}"]
        for collection in await db.list_collection_names():
            async for document in db[collection].find({}):
                scanned += 1
                if mentions(document, ERASED):
                    traces.append(f"{name}.{collection}: {str(document)[:200]}")
    await client.close()
    assert scanned > 10
    assert not traces, "\n".join(traces)
