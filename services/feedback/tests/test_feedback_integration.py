"""Feedback over the real embedded broker and database: pairs and held sessions in, requests,
scores and due dates out, on a fake clock the tests move."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tandem_contracts import decode
from tandem_contracts.topics import FEEDBACK, PAIRING
from tandem_servicekit.testing import ReadRecord, wait_until

from .builders import held, opened, pair_created, pair_ended
from .conftest import Feedback

COMMENT = "Karla-7 explained the prompt library so well"


def data(record: ReadRecord) -> dict[str, object]:
    return decode(list(record.headers.items()), record.value).event.model_dump(mode="json")


async def test_a_pair_gets_its_goal_sheet_and_baseline_request(feedback_service: Feedback) -> None:
    svc = feedback_service
    await svc.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    [due] = await svc.events_of_type(FEEDBACK, "assessment_due.v1", 1)
    assert data(due)["phase"] == "baseline"
    assert due.key == b"p1"
    mentee = svc.as_participant("mentee")
    sheet = await svc.http.get("/pairs/p1/goals", headers=mentee)
    assert sheet.status_code == 200, sheet.text
    assert sheet.json()["topics"] == ["ai_tools", "social_media"]
    goal = {"topic_name": "ai_tools", "description": COMMENT, "target_level": 4}
    added = await svc.http.post("/pairs/p1/goals", json=goal, headers=mentee)
    assert added.status_code == 201, added.text
    unknown = await svc.http.post(
        "/pairs/p1/goals", json={**goal, "topic_name": "knitting"}, headers=mentee
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "topic_name"]
    missing = await svc.http.get("/pairs/nope/goals", headers=mentee)
    assert missing.status_code == 404
    [goal_set] = await svc.events_of_type(FEEDBACK, "goal_set.v1", 1)
    assert COMMENT.encode() not in (goal_set.value or b"")


async def test_session_feedback_reaches_kafka_as_scores_only_and_redeliveries_change_nothing(
    feedback_service: Feedback, capfd: pytest.CaptureFixture[str]
) -> None:
    svc = feedback_service
    await svc.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    await svc.events_of_type(FEEDBACK, "assessment_due.v1", 1)
    [event_id] = await svc.publish(held("s1"), source="/tandem/scheduling")
    await svc.publish(held("s1"), source="/tandem/scheduling", event_id=event_id)  # same id
    await svc.publish(held("s1"), source="/tandem/scheduling")  # announced again, new id
    [request] = await svc.events_of_type(FEEDBACK, "feedback_requested.v1", 1)
    assert (data(request)["mentor_id"], data(request)["mentee_id"]) == ("mentor", "mentee")
    mentee = svc.as_participant("mentee")
    body = {"rating": 5, "usefulness": 4, "comment": COMMENT}
    given = await svc.http.post("/sessions/s1/feedback", json=body, headers=mentee)
    assert given.status_code == 201, given.text
    again = await svc.http.post("/sessions/s1/feedback", json=body, headers=mentee)
    assert again.status_code == 409
    off_scale = await svc.http.post(
        "/sessions/s1/feedback", json={"rating": 6, "usefulness": 4}, headers=mentee
    )
    assert off_scale.status_code == 422
    assert off_scale.json()["detail"][0]["loc"] == ["body", "rating"]
    stranger = await svc.http.post(
        "/sessions/s1/feedback", json=body, headers=svc.as_participant("x")
    )
    assert stranger.status_code == 403
    not_held = await svc.http.post("/sessions/s404/feedback", json=body, headers=mentee)
    assert not_held.status_code == 404
    [submitted] = await svc.events_of_type(FEEDBACK, "feedback_submitted.v1", 1)
    assert data(submitted)["commented"] is True
    everything = await svc.read(FEEDBACK)
    for record in everything:
        raw = (record.value or b"") + b"".join(record.headers.values())
        assert COMMENT.encode() not in raw, "free text never goes on Kafka"
    own = await svc.http.get("/sessions/s1/feedback", headers=mentee)
    assert own.json()["comment"] == COMMENT
    await svc.publish(held("s1"), source="/tandem/scheduling")
    await wait_until(lambda: _consumed(svc, 4), what="every SessionHeld consumed")
    requests = await svc.events_of_type(FEEDBACK, "feedback_requested.v1", 1)
    assert len(requests) == 1
    printed = capfd.readouterr()
    assert COMMENT not in printed.out + printed.err, "free text never logged"


async def _consumed(svc: Feedback, count: int) -> bool:
    done = 0.0
    for outcome in ("processed", "duplicate"):
        value = svc.runtime.registry.get_sample_value(
            "tandem_consumer_records_total",
            {"topic": svc.settings.kafka.topic("tandem.scheduling.v1"), "outcome": outcome},
        )
        done += value or 0.0
    return done >= count


async def test_pair_ended_asks_for_the_final_assessment_and_the_nps(
    feedback_service: Feedback,
) -> None:
    svc = feedback_service
    assert svc.clock is not None
    await svc.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    await svc.events_of_type(FEEDBACK, "assessment_due.v1", 1)
    svc.clock.advance(timedelta(days=31))
    [mqs] = await svc.events_of_type(FEEDBACK, "survey_due.v1", 1)
    assert data(mqs)["kind"] == "mqs"
    mentee = svc.as_participant("mentee")
    answered = await svc.http.post(
        f"/surveys/{data(mqs)['survey_id']}/answer", json={"score": 4}, headers=mentee
    )
    assert answered.status_code == 201, answered.text
    nps_early = await svc.http.post("/surveys/p1.nps.1/answer", json={"score": 9}, headers=mentee)
    assert nps_early.status_code == 409
    await svc.publish(pair_ended(at=svc.clock.now()), source="/tandem/pairing")
    dues = await svc.events_of_type(FEEDBACK, "assessment_due.v1", 2)
    assert [data(d)["phase"] for d in dues] == ["baseline", "final"]
    surveys = await svc.events_of_type(FEEDBACK, "survey_due.v1", 2)
    assert [data(s)["kind"] for s in surveys] == ["mqs", "nps"]
    levels = [{"topic_name": t, "level": 3} for t in ("ai_tools", "social_media")]
    final = await svc.http.post(
        "/pairs/p1/assessments/final", json={"levels": levels}, headers=mentee
    )
    assert final.status_code == 201, final.text
    [assessed, _] = await svc.events_of_type(FEEDBACK, "competence_assessed.v1", 2)
    assert (data(assessed)["assessor_role"], data(assessed)["phase"]) == ("mentee", "final")
    assert await svc.read(PAIRING + ".dlq") == []


async def test_the_program_report_shows_averages_once_three_people_answered(
    feedback_service: Feedback,
) -> None:
    svc = feedback_service
    pairs = [pair_created(f"p{n}", f"mentor{n}", f"mentee{n}") for n in range(3)]
    await svc.publish(opened(), *pairs, source="/tandem/pairing")
    await svc.publish(*(held(f"s{n}", f"p{n}") for n in range(3)), source="/tandem/scheduling")
    await svc.events_of_type(FEEDBACK, "feedback_requested.v1", 3)
    for n in range(2):
        reply = await svc.http.post(
            f"/sessions/s{n}/feedback",
            json={"rating": 4, "usefulness": 3},
            headers=svc.as_participant(f"mentee{n}"),
        )
        assert reply.status_code == 201, reply.text
    report = (await svc.http.get("/programs/prog/report")).json()
    assert report["feedback"]["mentee"]["rating"] == {
        "value": None,
        "respondents": None,
        "suppressed": True,
    }
    await svc.http.post(
        "/sessions/s2/feedback",
        json={"rating": 1, "usefulness": 3},
        headers=svc.as_participant("mentee2"),
    )
    report = (await svc.http.get("/programs/prog/report")).json()
    assert report["feedback"]["mentee"]["rating"] == {
        "value": 3.0,
        "respondents": 3,
        "suppressed": False,
    }
    assert report["anonymity_threshold"] == 3
    pair = await svc.http.get("/pairs/p0/report", headers=svc.as_participant("mentor0"))
    assert pair.status_code == 200
    assert pair.json()["feedback"]["mentee"]["rating"]["value"] is None
    assert (await svc.http.get("/programs/nope/report")).status_code == 404


async def test_sessions_held_while_their_pairs_arrive_are_all_requested(
    feedback_service: Feedback,
) -> None:
    """The two topics are consumed side by side: a session stored while its pair is unknown
    and the pair's arrival must not miss each other (both take the pair's lock)."""
    svc = feedback_service
    count = 20
    pairs = [pair_created(f"r{n}", f"tm{n}", f"te{n}") for n in range(count)]
    sessions = [held(f"rs{n}", f"r{n}") for n in range(count)]
    for pair, session in zip(pairs, sessions, strict=True):
        await svc.publish(session, source="/tandem/scheduling")
        await svc.publish(pair, source="/tandem/pairing")
    requests = await svc.events_of_type(FEEDBACK, "feedback_requested.v1", count, 30)
    assert sorted(str(data(r)["session_id"]) for r in requests) == sorted(
        f"rs{n}" for n in range(count)
    )
