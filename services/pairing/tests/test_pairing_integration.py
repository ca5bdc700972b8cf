"""Pairing over the real embedded broker and database: HR in, pairs out, lifecycle enforced."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo.errors import PyMongoError

from tandem_contracts import decode
from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeUpdated,
    PairCreated,
    PairEnded,
)
from tandem_contracts.examples import AT
from tandem_devkit.runs import run_matching, wait_for_run
from tandem_pairing.domain.pairs import SUPERSEDED_KEEP_S
from tandem_pairing.service import matching_runs
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.errors import is_transient
from tandem_servicekit.testing import wait_until

from .conftest import MORNINGS, Pairing, hired, known, later, program_body


async def open_program(http: httpx.AsyncClient, **changes: object) -> str:
    created = await http.post("/programs", json=program_body(**changes))
    assert created.status_code == 201, created.text
    program_id: str = created.json()["program_id"]
    assert (await http.post(f"/programs/{program_id}/open")).status_code == 200
    return program_id


async def enroll(
    http: httpx.AsyncClient, program_id: str, employee_id: str, role: str, **extra: Any
) -> httpx.Response:
    body: dict[str, Any] = {"employee_id": employee_id, "role": role, "availability": MORNINGS}
    if role == "mentor":
        body["expertise"] = [{"topic": "ai_tools", "level": 5}]
    else:
        body["goals"] = [{"topic": "ai_tools", "priority": 5}]
    body.update(extra)
    return await http.post(f"/programs/{program_id}/enrollments", json=body)


async def test_hr_events_build_the_projection_idempotently_and_in_order(pairing: Pairing) -> None:
    await pairing.publish_hr(hired("e1", 3, department="Sales"))
    await known(pairing, "e1")
    newer = EmployeeUpdated(
        **{
            **hired("e1", 5, department="Marketing").model_dump(exclude={"hired_on"}),
            "effective_at": later(10),
        }
    )
    older = EmployeeUpdated(
        **{
            **hired("e1", 4, department="Legal").model_dump(exclude={"hired_on"}),
            "effective_at": later(5),
        }
    )
    [newer_id] = await pairing.publish_hr(newer)
    await pairing.publish_hr(older)  # arrives late: must not win
    await pairing.publish_hr(newer, event_id=newer_id)  # redelivered: must change nothing

    async def settled() -> bool:
        records = pairing.runtime.registry.get_sample_value(
            "tandem_consumer_records_total",
            {"topic": pairing.settings.kafka.topic("hr.employees.v1"), "outcome": "duplicate"},
        )
        return records == 1.0

    await wait_until(settled)
    employee = (await pairing.http.get("/employees/e1")).json()
    assert employee["job_level"] == 5
    assert employee["department"] == "Marketing"
    assert await pairing.runtime.db["inbox"].count_documents({}) == 3


async def test_program_and_enrollment_validation_over_http(pairing: Pairing) -> None:
    http = pairing.http
    too_long = await http.post("/programs", json=program_body(session_minutes=90))
    assert too_long.status_code == 422
    [error] = too_long.json()["detail"]
    assert error["loc"] == ["body", "session_minutes"]
    assert "at most 60 minutes" in error["msg"]
    bad_dates = await http.post("/programs", json=program_body(ends_on="2026-01-01"))
    assert bad_dates.json()["detail"][0]["loc"] == ["body", "ends_on"]
    group_without_size = await http.post("/programs", json=program_body(format="group"))
    assert group_without_size.json()["detail"][0]["loc"] == ["body", "group_size"]
    assert (await http.get("/programs/nope")).status_code == 404
    draft = (await http.post("/programs", json=program_body())).json()["program_id"]
    await pairing.publish_hr(hired("m1", 1), hired("x1", 6))
    await known(pairing, "m1", "x1")
    assert (await enroll(http, draft, "m1", "mentor")).status_code == 409, "draft: not open yet"
    program_id = await open_program(http)
    assert (await http.post(f"/programs/{program_id}/open")).status_code == 409
    unknown = await enroll(http, program_id, "ghost", "mentee")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "employee_id"]
    off_topic = await enroll(
        http, program_id, "x1", "mentee", goals=[{"topic": "knitting", "priority": 3}]
    )
    assert off_topic.status_code == 422
    assert "knitting" in off_topic.json()["detail"][0]["msg"]
    self_named = await enroll(
        http, program_id, "x1", "mentee", preferences={"avoid_employee_ids": ["x1"]}
    )
    assert self_named.status_code == 422
    assert self_named.json()["detail"][0]["loc"] == ["body", "preferences"]
    contradictory = await enroll(
        http,
        program_id,
        "x1",
        "mentee",
        preferences={"avoid_employee_ids": ["m1"], "preferred_employee_ids": ["m1"]},
    )
    assert contradictory.status_code == 422
    assert "cannot both avoid and prefer m1" in contradictory.text
    assert (await enroll(http, program_id, "x1", "mentee")).status_code == 201
    assert (await enroll(http, program_id, "x1", "mentee")).status_code == 409
    bad_slot = await enroll(
        http,
        program_id,
        "m1",
        "mentor",
        availability={
            "time_zone": "Mars/Base",
            "slots": [{"weekday": 0, "start": "09:00", "end": "10:00"}],
        },
    )
    assert bad_slot.status_code == 422
    enrolled = await http.get(f"/programs/{program_id}/enrollments")
    assert enrolled.json()["total"] == 1


async def test_matching_run_publishes_pairs_and_departure_ends_them_within_2s(
    pairing: Pairing,
) -> None:
    http = pairing.http
    await pairing.publish_hr(
        hired("ceo", 12),
        hired("boss", 9, manager="ceo"),
        hired("m1", 1, manager="boss", department="IT"),
        hired("m2", 2, department="HR"),
        hired("x1", 7, manager="ceo"),
        hired("x2", 8, manager="ceo", department="Legal"),
        hired("x3", 8, manager="boss", languages=("de",)),
    )
    await known(pairing, "m1", "m2", "x1", "x2", "x3")
    program_id = await open_program(http)
    for mentor in ("m1", "m2"):
        assert (await enroll(http, program_id, mentor, "mentor")).status_code == 201
    for mentee in ("x1", "x2", "x3"):
        assert (await enroll(http, program_id, mentee, "mentee")).status_code == 201
    queued = await http.post(f"/programs/{program_id}/matching-runs")
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    assert queued.headers["location"] == f"/matching-runs/{queued.json()['run_id']}"
    summary = await wait_for_run(http, queued.json()["run_id"])
    assert summary["status"] == "proposed", summary
    assert summary["certified_optimal"] is True
    assert summary["optimality_gap"] == 0.0
    assert summary["proposed"] == 2
    assert summary["unmatched_by_reason"] == {"no_shared_language": 1}
    created = await pairing.pairing_events_of_type("pair_created.v1", at_least=2)
    events = [decode(list(r.headers.items()), r.value).event for r in created]
    assert all(isinstance(e, PairCreated) for e in events)
    by_mentee = {e.mentee.employee_id: e for e in events if isinstance(e, PairCreated)}
    assert set(by_mentee) == {"x1", "x2"}, by_mentee
    pair = by_mentee["x1"]
    assert pair.session_minutes == 45
    assert pair.mentor.availability.time_zone == "Europe/Berlin"
    assert pair.topics == ("ai_tools",)
    pairs = (await http.get(f"/programs/{program_id}/pairs", params={"state": "active"})).json()
    assert pairs["total"] == 2
    assert pairs["items"][0]["breakdown"]["shared_topics"] == ["ai_tools"]

    # How fast this happens is measured in benchmarks/hr_ingest.py, not asserted here.
    await pairing.publish_hr(
        EmployeeDeparted(employee_id="x1", departed_on=AT.date(), effective_at=later(60))
    )
    ended = await pairing.pairing_events_of_type("pair_ended.v1", at_least=1)
    assert ended, "no PairEnded"
    event = decode(list(ended[0].headers.items()), ended[0].value).event
    assert isinstance(event, PairEnded)
    assert event.reason.value == "participant_departed"
    assert event.pair_id == pair.pair_id
    tombstone = (await http.get("/employees/x1")).json()
    assert tombstone["active"] is False
    assert tombstone["department"] == ""


async def test_manager_change_into_the_reporting_line_ends_the_pair(pairing: Pairing) -> None:
    http = pairing.http
    await pairing.publish_hr(
        hired("ceo", 12),
        hired("lead", 9, manager="ceo"),
        hired("m1", 2, manager="ceo", department="IT"),
        hired("x1", 7, manager="lead"),
    )
    await known(pairing, "m1", "x1", "lead")
    program_id = await open_program(http)
    await enroll(http, program_id, "m1", "mentor")
    await enroll(http, program_id, "x1", "mentee")
    assert (await run_matching(http, program_id))["proposed"] == 1
    # The mentee's manager now reports to the mentor: the mentor is in the mentee's line.
    moved = EmployeeUpdated(
        **{
            **hired("lead", 9, manager="m1").model_dump(exclude={"hired_on"}),
            "effective_at": later(30),
        }
    )
    await pairing.publish_hr(moved)
    ended = await pairing.pairing_events_of_type("pair_ended.v1", at_least=1)
    assert ended
    assert json.loads(ended[0].value or b"{}")["reason"] == "reporting_line_conflict"


async def test_proposals_need_both_sides_then_publish(pairing: Pairing) -> None:
    http = pairing.http
    await pairing.publish_hr(hired("m1", 1, department="IT"), hired("x1", 7))
    await known(pairing, "m1", "x1")
    program_id = await open_program(http, auto_accept=False)
    await enroll(http, program_id, "m1", "mentor")
    await enroll(http, program_id, "x1", "mentee")
    await run_matching(http, program_id)
    [proposal] = (
        await http.get(f"/programs/{program_id}/pairs", params={"state": "proposed"})
    ).json()["items"]
    pair_url = f"/pairs/{proposal['pair_id']}"
    stranger = pairing.as_participant("stranger")
    accepting = await http.post(
        pair_url + "/accept", json={"employee_id": "stranger"}, headers=stranger
    )
    assert accepting.status_code == 409, "not part of this pair"
    on_behalf = await http.post(pair_url + "/accept", json={"employee_id": "m1"}, headers=stranger)
    assert on_behalf.status_code == 403, "nobody accepts for someone else"
    half = (
        await http.post(
            pair_url + "/accept", json={"employee_id": "m1"}, headers=pairing.as_participant("m1")
        )
    ).json()
    assert half["status"] == "proposed"
    assert half["mentor_accepted"] is True
    both = (
        await http.post(
            pair_url + "/accept", json={"employee_id": "x1"}, headers=pairing.as_participant("x1")
        )
    ).json()
    assert both["status"] == "active"
    assert len(await pairing.pairing_events_of_type("pair_created.v1", at_least=1)) == 1
    suggestions = await http.get(
        f"/programs/{program_id}/suggestions", params={"employee_id": "x1"}
    )
    assert suggestions.status_code == 200
    assert suggestions.json() == [], "the only mentor is taken"
    ended = await http.post(pair_url + "/end")
    assert ended.json()["end_reason"] == "ended_by_program_manager"
    assert (await http.post(pair_url + "/end")).status_code == 409


async def test_a_group_mentor_leads_one_group_of_pairs(pairing: Pairing) -> None:
    http = pairing.http
    await pairing.publish_hr(
        hired("m1", 1, department="IT"), hired("x1", 7), hired("x2", 8), hired("x3", 9)
    )
    await known(pairing, "m1", "x1", "x2", "x3")
    program_id = await open_program(http, format="group", group_size=2)
    too_big = await enroll(http, program_id, "m1", "mentor", capacity=5)
    assert too_big.status_code == 422, "never silently clipped to the group size"
    assert "capacity" in too_big.text
    mentor = await enroll(http, program_id, "m1", "mentor")
    assert mentor.json()["capacity"] == 2, "a group mentor leads one group of group_size"
    for mentee in ("x1", "x2", "x3"):
        await enroll(http, program_id, mentee, "mentee")
    run = await run_matching(http, program_id)
    assert run["proposed"] == 2
    assert run["unmatched_by_reason"] == {"capacity_exhausted": 1}
    created = await pairing.pairing_events_of_type("pair_created.v1", at_least=2)
    groups = {json.loads(r.value or b"{}")["group_id"] for r in created}
    assert len(groups) == 1
    assert None not in groups
    assert {json.loads(r.value or b"{}")["format"] for r in created} == {"group"}


async def test_a_workshop_mentor_s_pairs_share_a_group_and_carry_the_format(
    pairing: Pairing,
) -> None:
    """Scheduling places one workshop series for the mentor's mentees: their pairs share a
    `group_id`, and PairCreated says the format."""
    http = pairing.http
    await pairing.publish_hr(hired("w1", 1, department="IT"), hired("y1", 7), hired("y2", 8))
    await known(pairing, "w1", "y1", "y2")
    program_id = await open_program(http, format="workshop", mentor_capacity=2)
    assert (await enroll(http, program_id, "w1", "mentor", capacity=2)).status_code == 201
    for mentee in ("y1", "y2"):
        await enroll(http, program_id, mentee, "mentee")
    await run_matching(http, program_id)
    created = await pairing.pairing_events_of_type("pair_created.v1", at_least=2)
    bodies = [json.loads(r.value or b"{}") for r in created]
    assert len(bodies) == 2
    assert len({b["group_id"] for b in bodies}) == 1
    assert {b["format"] for b in bodies} == {"workshop"}


async def test_hr_records_in_the_same_millisecond_keep_their_order(pairing: Pairing) -> None:
    """BSON dates hold milliseconds; the projection must compare microseconds."""
    base = later(20)
    await pairing.publish_hr(hired("e9", 3, at=base))
    await known(pairing, "e9")
    newer = EmployeeUpdated(
        **{
            **hired("e9", 7, department="Newer").model_dump(exclude={"hired_on"}),
            "effective_at": base + timedelta(microseconds=900),
        }
    )
    older = EmployeeUpdated(
        **{
            **hired("e9", 5, department="Older").model_dump(exclude={"hired_on"}),
            "effective_at": base + timedelta(microseconds=400),
        }
    )
    await pairing.publish_hr(newer)
    await pairing.publish_hr(older)

    async def both_consumed() -> bool:
        count = await pairing.runtime.db["inbox"].count_documents({})
        return bool(count >= 3)

    await wait_until(both_consumed)
    employee = (await pairing.http.get("/employees/e9")).json()
    assert employee["department"] == "Newer", "an older record in the same millisecond won"
    assert employee["effective_at"].startswith("2026-01-01T00:20:00.000900")


async def test_absurd_requests_get_clear_answers_not_500s(pairing: Pairing) -> None:
    http = pairing.http
    program_id = await open_program(http)
    huge_skip = {"skip": "9223372036854775808"}
    for path in (
        f"/programs/{program_id}/pairs",
        f"/programs/{program_id}/enrollments",
        "/matching-runs/nope/unmatched",
    ):
        reply = await http.get(path, params=huge_skip)
        assert reply.status_code == 422, (path, reply.text)
    big_topics = program_body(topics=[f"{n}{'x' * 1_000_000}" for n in range(20)])
    too_big = await http.post("/programs", json=big_topics)
    assert too_big.status_code == 413, too_big.text[:200]
    long_topics = program_body(topics=[f"{n}{'x' * 100}" for n in range(20)])
    too_long = await http.post("/programs", json=long_topics)
    assert too_long.status_code == 422
    assert len(too_long.content) < 20_000, "the 422 names fields, it does not echo the body"
    assert "xxxxxxxxxx" not in too_long.text
    cross_site = await http.post(
        f"/programs/{program_id}/close", content=b"x", headers={"content-type": "text/plain"}
    )
    assert cross_site.status_code == 415
    assert (await http.get(f"/programs/{program_id}")).json()["status"] == "open"

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b'{"name": "', b"y" * 2_000_000, b'"}'):
            yield chunk

    streamed = await http.post(
        "/programs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    long_id = await http.get("/pairs/" + "p" * 300)
    assert long_id.status_code == 422


async def test_superseded_proposals_are_stamped_and_expire(pairing: Pairing) -> None:
    http = pairing.http
    await pairing.publish_hr(hired("s1", 1, department="IT"), hired("t1", 7))
    await known(pairing, "s1", "t1")
    program_id = await open_program(http, auto_accept=False)
    await enroll(http, program_id, "s1", "mentor")
    await enroll(http, program_id, "t1", "mentee")
    for _ in range(2):
        await run_matching(http, program_id)
    pairs = pairing.runtime.db["pairs"]
    old = await pairs.find_one({"program_id": program_id, "status": "superseded"})
    assert old is not None
    assert isinstance(old["superseded_at"], datetime), "a BSON date: TTL reads only those"
    shown = await http.get(f"/pairs/{old['_id']}")
    assert shown.json()["superseded_at"] is not None
    ttl = (await pairs.index_information())["superseded_at_1"]
    assert ttl["expireAfterSeconds"] == SUPERSEDED_KEEP_S


async def test_a_run_whose_worker_died_is_taken_over_and_a_second_request_waits(
    pairing: Pairing,
) -> None:
    """A run left `running` by a dead worker (its lease past) is finished by this replica's
    worker; while a run is pending, another request for the program gets 409."""
    http = pairing.http
    await pairing.publish_hr(hired("d1", 1, department="IT"), hired("e1", 7))
    await known(pairing, "d1", "e1")
    program_id = await open_program(http)
    await enroll(http, program_id, "d1", "mentor")
    await enroll(http, program_id, "e1", "mentee")
    runs = pairing.runtime.db["matching_runs"]
    rosters = pairing.runtime.db["program_rosters"]
    orphan = {
        "_id": "run-orphaned",
        "run_id": "run-orphaned",
        "program_id": program_id,
        "status": "running",
        "stage": "matching",
        "attempts": 1,
        "objective": "max_score",
        "auto_accepted": True,
        "created_at": datetime.now(AT.tzinfo),
        "worker": "a-dead-replica",
        "lease_until": datetime.now(AT.tzinfo) + timedelta(seconds=3),
    }
    await runs.insert_one(orphan)
    await rosters.update_one(
        {"_id": program_id}, {"$set": {"pending_run": "run-orphaned"}}, upsert=True
    )
    refused = await http.post(f"/programs/{program_id}/matching-runs")
    assert refused.status_code == 409, refused.text
    assert "run-orphaned" in refused.text
    done = await wait_for_run(http, "run-orphaned", timeout_s=60)
    assert (done["status"], done["attempts"], done["proposed"]) == ("proposed", 2, 1)
    assert done["started_at"] is not None
    assert len(await pairing.pairing_events_of_type("pair_created.v1", at_least=1)) == 1
    assert (await run_matching(http, program_id))["pinned"] == 1, "no longer blocked"


async def publish_after(publication: PairingUnitOfWork) -> None:
    await publication.rosters.set_pending_run("prg-skew", None)
    await publication.commit()


async def test_a_withdrawal_and_a_run_publication_cannot_both_land(pairing: Pairing) -> None:
    """Snapshot isolation alone would let both commit (write skew); both write the program's
    roster document, so the later one fails with a retryable write conflict."""
    async with pairing.runtime.unit_of_work() as publication:
        version = await publication.rosters.version("prg-skew")
        async with pairing.runtime.unit_of_work() as withdrawal:
            await withdrawal.rosters.bump(["prg-skew"])
            await withdrawal.commit()
        with pytest.raises(PyMongoError, check=is_transient):
            await publish_after(publication)
    async with pairing.runtime.unit_of_work() as retry:
        assert await retry.rosters.version("prg-skew") == version + 1, "the retry sees it"


async def test_a_run_publishes_in_chunks_with_every_event_once(
    pairing: Pairing, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the real database, with one pair per publication transaction: every pair and every
    `PairCreated` once; a withdrawal while the program is locked is a retryable 503."""
    monkeypatch.setattr(matching_runs, "WRITE_CHUNK", 1)
    monkeypatch.setattr(matching_runs, "DIRECT_LIMIT", 0)
    http = pairing.http
    await pairing.publish_hr(
        hired("h1", 1, department="IT"), hired("h2", 2, department="HR"), hired("k1", 7)
    )
    await pairing.publish_hr(hired("k2", 8, department="Legal"), hired("k3", 9))
    await known(pairing, "h1", "h2", "k1", "k2", "k3")
    program_id = await open_program(http, mentor_capacity=2)
    await enroll(http, program_id, "h1", "mentor", capacity=2)
    await enroll(http, program_id, "h2", "mentor", capacity=2)
    enrolled = {}
    for mentee in ("k1", "k2", "k3"):
        enrolled[mentee] = (await enroll(http, program_id, mentee, "mentee")).json()
    run = await run_matching(http, program_id)
    assert run["proposed"] == 3
    created = await pairing.pairing_events_of_type("pair_created.v1", at_least=3)
    assert sorted(json.loads(r.value or b"{}")["mentee"]["employee_id"] for r in created) == [
        "k1",
        "k2",
        "k3",
    ]
    assert not await pairing.runtime.db["staged_pairs"].count_documents({})
    await pairing.runtime.db["program_rosters"].update_one(
        {"_id": program_id}, {"$set": {"publishing": "run-elsewhere"}}
    )
    k3 = enrolled["k3"]["enrollment_id"]
    busy = await http.post(f"/programs/{program_id}/enrollments/{k3}/withdraw")
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"]
    assert "x-tandem-retryable" not in busy.headers, "the internal marker never leaves"
    assert "run-elsewhere" in busy.json()["detail"]
    await pairing.runtime.db["program_rosters"].update_one(
        {"_id": program_id}, {"$set": {"publishing": None}}
    )
    done = await http.post(f"/programs/{program_id}/enrollments/{k3}/withdraw")
    assert done.status_code == 200, done.text
