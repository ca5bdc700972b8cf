"""Metrics on the real embedded broker and database: events of every service in, KPIs out as a
report, as CSV and as Prometheus series labelled by program only; erasure leaves no id."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from tandem_contracts import Event
from tandem_contracts import events as ev
from tandem_contracts.examples import BERLIN_MORNINGS
from tandem_contracts.topics import PRIVACY
from tandem_contracts.values import ProgramFormat, Role
from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness
from tandem_metrics.entrypoints.rebuild import rebuild
from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.mongo import make_client
from tandem_servicekit.settings import MongoSettings
from tandem_servicekit.testing import wait_until

from .test_oracle_properties import D0, at, member

PEOPLE = [f"mx-{n}" for n in range(6)]


def story() -> list[Event]:
    """Three pairs, each with a held session; every mentee rates it."""
    events: list[Event] = [
        ev.EmployeeHired(
            employee_id=p,
            department="D",
            job_level=3,
            languages=("en",),
            time_zone="UTC",
            hired_on=date(2020, 1, 1),
            effective_at=at(-1000),
        )
        for p in PEOPLE
    ]
    events.append(
        ev.ProgramOpened(
            program_id="prog",
            name="P",
            starts_on=D0,
            ends_on=D0 + timedelta(weeks=12),
            duration_weeks=12,
            cadence_weeks=1,
            session_minutes=45,
            format=ProgramFormat.ONE_TO_ONE,
            topics=("ai",),
            manager_ids=("pm",),
            opened_at=at(-500),
        )
    )
    for n in range(3):
        mentor, mentee, pair, session = PEOPLE[n], PEOPLE[n + 3], f"p{n}", f"s{n}"
        for person, role in ((mentor, Role.MENTOR), (mentee, Role.MENTEE)):
            events.append(
                ev.ParticipantEnrolled(
                    program_id="prog",
                    enrollment_id=f"enr-{pair}-{role.value}",
                    employee_id=person,
                    role=role,
                    expertise=(ev.TopicExpertise(topic="ai", level=3),)
                    if role is Role.MENTOR
                    else (),
                    goals=(ev.TopicGoal(topic="ai", priority=3),) if role is Role.MENTEE else (),
                    languages=("en",),
                    availability=BERLIN_MORNINGS,
                    enrolled_at=at(-48),
                )
            )
        ids = {"session_id": session, "pair_id": pair, "program_id": "prog"}
        events += [
            ev.PairCreated(
                pair_id=pair,
                program_id="prog",
                mentor=member(mentor, f"enr-{pair}-mentor"),
                mentee=member(mentee, f"enr-{pair}-mentee"),
                topics=("ai",),
                cadence_weeks=1,
                session_minutes=45,
                starts_on=D0,
                ends_on=D0 + timedelta(weeks=12),
                score=0.5,
                created_at=at(0),
            ),
            ev.SessionScheduled(
                **ids, starts_at=at(30), ends_at=at(30) + timedelta(minutes=45), sequence=1
            ),
            ev.SessionHeld(**ids, held_at=at(30), duration_minutes=40),
            ev.FeedbackRequested(
                **ids,
                mentor_id=mentor,
                mentee_id=mentee,
                held_at=at(30),
                remind_at=at(78),
                requested_at=at(30),
            ),
            ev.FeedbackSubmitted(
                pair_id=pair,
                program_id="prog",
                feedback_id=f"f{n}",
                session_id=session,
                author_role=Role.MENTEE,
                rating=3 + n,
                usefulness=4,
                submitted_at=at(31),
            ),
        ]
        for phase, level in ((ev.AssessmentPhase.BASELINE, 2), (ev.AssessmentPhase.FINAL, 3 + n)):
            events.append(
                ev.CompetenceAssessed(
                    pair_id=pair,
                    program_id="prog",
                    assessment_id=f"a{n}{phase.value}",
                    employee_id=mentee,
                    assessor_role=Role.MENTEE,
                    topic_name="ai",
                    phase=phase,
                    level=level,
                    assessed_at=at(40),
                )
            )
    return events


async def test_events_become_a_report_csv_and_program_series(
    metrics_service: ServiceHarness, embedded_stack: StackInfo
) -> None:
    svc = metrics_service
    await svc.publish(*story(), source="/tandem/test")
    report: dict[str, Any] = {}

    async def projected() -> bool:
        reply = await svc.http.get("/programs/prog/report")
        report.update(reply.json() if reply.status_code == 200 else {})
        held = report.get("sessions", {}).get("held") == 3
        return bool(
            held and report.get("competence") and report["feedback"]["mentee"]["rating"]["value"]
        )

    await wait_until(projected, timeout_s=30, what="three held sessions in the report")
    assert report["active_pairs"] == 3
    assert report["match_rate"]["value"] == 1.0
    assert report["mentoring_seconds"] == 3 * 40 * 60
    mentee = report["feedback"]["mentee"]
    assert mentee["rating"] == {"value": 4.0, "respondents": 3, "suppressed": False}
    assert report["feedback"]["mentor"]["rating"]["suppressed"] is True
    [ai] = report["competence"]
    assert ai["self_delta"] == {"value": 2.0, "respondents": 3, "suppressed": False}
    assert ai["partner_delta"]["suppressed"] is True
    csv = await svc.http.get("/programs/prog/report.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "feedback.mentee.rating.value,4.0" in csv.text
    ops = await svc.http.get(
        "/programs/prog/report", headers=embedded_stack.auth_headers("ops-1", ["ops"])
    )
    assert ops.status_code == 200
    other = await svc.http.get(
        "/programs/prog/report", headers=embedded_stack.auth_headers("pm-2", ["program_manager"])
    )
    assert other.status_code == 403
    assert (await svc.http.get("/programs/nope/report")).status_code == 404

    async def exposed() -> bool:
        text = (await svc.http.get("/metrics")).text
        return 'tandem_program_sessions{program="prog",status="held"} 3.0' in text

    await wait_until(exposed, what="program series on /metrics")
    text = (await svc.http.get("/metrics")).text
    assert 'tandem_program_feedback_rating{program="prog",side="mentee"} 4.0' in text
    assert 'tandem_program_competence_delta{program="prog",topic="ai",view="self"} 2.0' in text
    assert 'side="mentor"' not in "".join(
        line for line in text.splitlines() if line.startswith("tandem_program_feedback_rating")
    ), "a suppressed figure is absent, not 0"
    labels = set(re.findall(r'="([^"]*)"', text))
    assert not labels & set(PEOPLE), "no label value is an employee id"


async def test_an_erased_person_leaves_no_id_and_the_kpis_stay(
    metrics_service: ServiceHarness,
) -> None:
    svc = metrics_service
    await svc.publish(*story(), source="/tandem/test")

    async def projected() -> bool:  # every topic's events applied
        reply = await svc.http.get("/programs/prog/report")
        if reply.status_code != 200:
            return False
        body = reply.json()
        complete = body["sessions"]["held"] == 3 and body["competence"]
        return bool(complete and body["feedback"]["mentee"]["rating"]["value"] == 4.0)

    await wait_until(projected, timeout_s=30)
    before = (await svc.http.get("/programs/prog/report")).json()
    erased = PEOPLE[3]
    await svc.publish(
        ev.EmployeeErasureRequested(employee_id=erased, request_id="er-1", requested_at=at(40))
    )
    [confirmation] = await svc.read(PRIVACY, at_least=1, timeout_s=30)
    assert b"er-1" in (confirmation.value or b"")
    after = (await svc.http.get("/programs/prog/report")).json()
    assert {k: v for k, v in after.items() if k != "computed_at"} == {
        k: v for k, v in before.items() if k != "computed_at"
    }
    client = make_client(MongoSettings(uri=svc.settings.mongo.uri))
    db = client[svc.settings.mongo.database]
    found = []
    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            if erased in str(doc):
                found.append(f"{name}: {doc}")
    await client.close()
    assert not found, found


async def test_a_rebuild_from_the_topics_gives_the_same_kpis(
    metrics_service: ServiceHarness,
) -> None:
    """Facts dropped and every topic replayed from its start (as `python -m tandem_metrics
    rebuild` does, the service stopped): the same report. Then the live service goes on."""
    svc = metrics_service
    await svc.publish(*story(), source="/tandem/test")
    erased = PEOPLE[4]
    await svc.publish(
        ev.EmployeeErasureRequested(employee_id=erased, request_id="er-2", requested_at=at(40))
    )

    async def complete() -> bool:
        reply = await svc.http.get("/programs/prog/report")
        if reply.status_code != 200:
            return False
        body = reply.json()
        ready = body["sessions"]["held"] == 3 and body["competence"]
        return bool(ready and body["feedback"]["mentee"]["rating"]["value"] == 4.0)

    await wait_until(complete, timeout_s=30)
    await svc.read(PRIVACY, at_least=1, timeout_s=30)
    before = (await svc.http.get("/programs/prog/report")).json()
    settings = svc.settings
    assert isinstance(settings, MetricsSettings)
    applied = await rebuild(settings, svc.runtime.clock)
    assert applied >= len(story())
    after = (await svc.http.get("/programs/prog/report")).json()
    assert {k: v for k, v in after.items() if k != "computed_at"} == {
        k: v for k, v in before.items() if k != "computed_at"
    }
    client = make_client(MongoSettings(uri=settings.mongo.uri))
    pairs = await client[settings.mongo.database]["pairs"].find({}).to_list()
    await client.close()
    assert len(pairs) == 3
    assert erased not in str(pairs), "an erased person stays erased after a replay"
