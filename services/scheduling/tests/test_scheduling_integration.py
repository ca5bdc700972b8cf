"""Scheduling over the real embedded broker and database: pairs in, sessions out, on a fake
clock the tests move."""

from __future__ import annotations

import time
from datetime import timedelta

import icalendar
import recurring_ical_events

from tandem_contracts import Event, decode
from tandem_contracts.events import PairEnded, PairEndReason, ProgramClosed, SessionScheduled
from tandem_contracts.topics import SCHEDULING
from tandem_servicekit.clock import FakeClock
from tandem_servicekit.testing import ReadRecord, wait_until

from .conftest import Launcher, Scheduling
from .test_handlers import EVENINGS, NOW, opened, pair_created


def kinds(records: list[ReadRecord], suffix: str) -> list[ReadRecord]:
    return [r for r in records if r.headers["ce_type"].decode().endswith(suffix)]


def event_of(record: ReadRecord) -> Event:
    return decode(list(record.headers.items()), record.value).event


def data(record: ReadRecord) -> dict[str, object]:
    return event_of(record).model_dump(mode="json")


async def test_a_pair_gets_its_sessions_on_kafka_and_its_whole_series_over_http(
    scheduling: Scheduling,
) -> None:
    await scheduling.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    scheduled = await scheduling.events_of_type(SCHEDULING, "session_scheduled.v1", 4)
    assert len(scheduled) == 4
    assert {r.key for r in scheduled} == {b"p1"}
    listing = await scheduling.http.get(
        "/pairs/p1/sessions", headers=scheduling.as_participant("mentee")
    )
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == 12
    assert [i["status"] for i in body["items"]].count("scheduled") == 4
    stranger = await scheduling.http.get(
        "/pairs/p1/sessions", headers=scheduling.as_participant("someone-else")
    )
    assert stranger.status_code == 403
    assert (await scheduling.http.get("/pairs/nope/sessions")).status_code == 404


async def test_pair_ended_cancels_every_future_session_within_two_seconds(
    scheduling: Scheduling,
) -> None:
    await scheduling.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    await scheduling.events_of_type(SCHEDULING, "session_scheduled.v1", 4)
    ended = PairEnded(
        pair_id="p1",
        program_id="prog",
        mentor_id="mentor",
        mentee_id="mentee",
        reason=PairEndReason.WITHDRAWN,
        ended_at=NOW,
    )
    started = time.monotonic()
    await scheduling.publish(ended, source="/tandem/pairing")
    cancelled = await scheduling.events_of_type(SCHEDULING, "session_cancelled.v1", 4, 2.0)
    elapsed = time.monotonic() - started
    assert len(cancelled) == 4, f"{len(cancelled)} cancelled after {elapsed:.2f} s"
    assert {data(r)["reason"] for r in cancelled} == {"pair_ended"}


async def test_program_closed_cancels_every_future_session_within_two_seconds(
    scheduling: Scheduling,
) -> None:
    pairs = [pair_created(f"p{n}", mentor=f"t{n}", mentee=f"m{n}") for n in range(3)]
    await scheduling.publish(opened(), *pairs, source="/tandem/pairing")
    await scheduling.events_of_type(SCHEDULING, "session_scheduled.v1", 12)
    started = time.monotonic()
    await scheduling.publish(ProgramClosed(program_id="prog", closed_at=NOW), source="/p")
    cancelled = await scheduling.events_of_type(SCHEDULING, "session_cancelled.v1", 12, 2.0)
    elapsed = time.monotonic() - started
    assert len(cancelled) == 12, f"{len(cancelled)} cancelled after {elapsed:.2f} s"
    assert {data(r)["reason"] for r in cancelled} == {"program_closed"}


async def test_attendance_becomes_session_held_and_errors_are_clear(
    scheduling: Scheduling,
) -> None:
    assert scheduling.clock is not None
    await scheduling.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    [first, second, *_] = await scheduling.events_of_type(SCHEDULING, "session_scheduled.v1", 4)
    first_id, second_id = str(data(first)["session_id"]), str(data(second)["session_id"])
    mentee = scheduling.as_participant("mentee")
    held = {"outcome": "held", "minutes": 45}
    early = await scheduling.http.post(
        f"/sessions/{first_id}/attendance", json=held, headers=mentee
    )
    assert early.status_code == 409
    assert "not started" in early.json()["detail"]
    scheduling.clock.set(scheduling.clock.now() + timedelta(days=4))
    for _ in range(2):  # the same account twice: 200 both times, one event
        reply = await scheduling.http.post(
            f"/sessions/{first_id}/attendance", json=held, headers=mentee
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "held"
    [event] = await scheduling.events_of_type(SCHEDULING, "session_held.v1", 1)
    assert data(event)["duration_minutes"] == 45
    too_long = await scheduling.http.post(
        f"/sessions/{second_id}/reschedule",
        json={"starts_at": data(second)["starts_at"], "minutes": 61},
    )
    assert too_long.status_code == 422
    outside = await scheduling.http.post(
        f"/sessions/{second_id}/reschedule",
        json={"starts_at": str(data(second)["starts_at"]).replace("T08:00", "T03:00")},
    )
    assert outside.status_code == 409
    assert "availability" in outside.json()["detail"]
    missing = await scheduling.http.post("/sessions/ses-nope/cancel", json={})
    assert missing.status_code == 404


async def test_no_common_time_is_reported_every_week_without_a_dead_letter(
    scheduling: Scheduling,
) -> None:
    await scheduling.publish(
        opened(), pair_created("p9", mentee_availability=EVENINGS), source="/tandem/pairing"
    )
    reports = await scheduling.events_of_type(SCHEDULING, "session_unschedulable.v1", 4)
    assert {data(r)["reason"] for r in reports} == {"no_common_time"}
    dead = await scheduling.read("tandem.pairing.v1.dlq")
    assert dead == []


async def test_the_ticker_reminds_and_reports_unconfirmed_once_across_a_restart(
    launch: Launcher,
) -> None:
    clock = FakeClock(NOW)
    async with launch(clock) as first_run:
        await first_run.publish(opened(), pair_created("p1"), source="/tandem/pairing")
        [session, *_] = await first_run.events_of_type(SCHEDULING, "session_scheduled.v1", 4)
        first_session = event_of(session)
        assert isinstance(first_session, SessionScheduled)
        starts = first_session.starts_at
        clock.set(starts - timedelta(hours=23))
        await first_run.events_of_type(SCHEDULING, "session_reminder_due.v1", 1)
    # a restart a week later: the second reminder and the first session's expiry are due
    later = FakeClock(starts + timedelta(days=7) - timedelta(hours=23))
    async with launch(later) as second_run:
        await second_run.events_of_type(SCHEDULING, "session_missed.v1", 1)
        await second_run.events_of_type(SCHEDULING, "session_reminder_due.v1", 2)
    async with launch(later) as third_run:  # again at the same time: nothing new
        # If the second run could not hand its ticker lease over while stopping, this one
        # takes it when the lease runs out: wait for that, not only for a fast handover.
        await wait_until(lambda: _settled(third_run), timeout_s=60)
        everything = await third_run.read(SCHEDULING)
    reminders = kinds(everything, "session_reminder_due.v1")
    missed = kinds(everything, "session_missed.v1")
    assert len({data(r)["session_id"] for r in reminders}) == len(reminders) == 2
    assert [data(r)["session_id"] for r in missed] == [data(session)["session_id"]]
    assert {data(r)["cause"] for r in missed} == {"unconfirmed"}


async def _settled(harness: Scheduling) -> bool:
    """Several ticker passes done: whatever they would (wrongly) publish is out by then."""
    return (harness.runtime.registry.get_sample_value("tandem_scheduling_ticks_total") or 0) >= 5


async def test_the_calendar_feed_parses_back_to_the_sessions(scheduling: Scheduling) -> None:
    await scheduling.publish(opened(), pair_created("p1"), source="/tandem/pairing")
    records = await scheduling.events_of_type(SCHEDULING, "session_scheduled.v1", 4)
    sessions = {str(data(r)["session_id"]): data(r) for r in records}
    mentee = scheduling.as_participant("mentee")
    [moved_id, cancelled_id, *_] = sorted(sessions, key=lambda i: str(sessions[i]["starts_at"]))
    new_start = str(sessions[moved_id]["starts_at"]).replace("T08:00", "T09:00")
    moved = await scheduling.http.post(
        f"/sessions/{moved_id}/reschedule", json={"starts_at": new_start}, headers=mentee
    )
    assert moved.status_code == 200, moved.text
    cancelled = await scheduling.http.post(
        f"/sessions/{cancelled_id}/cancel", json={"note": "travelling"}, headers=mentee
    )
    assert cancelled.status_code == 200
    reply = await scheduling.http.get("/people/mentee/calendar.ics", headers=mentee)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(reply.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    events = {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}
    assert set(events) == set(sessions)
    assert events[moved_id].decoded("SEQUENCE") == 1
    assert str(events[cancelled_id]["STATUS"]) == "CANCELLED"
    occurrences = recurring_ical_events.of(calendar).between(NOW, NOW + timedelta(days=40))
    by_uid = {str(o["UID"]).split("@")[0]: o for o in occurrences}
    for session_id, session in sessions.items():
        start = by_uid[session_id]["DTSTART"].dt
        assert str(start.tzinfo) == "Europe/Berlin"
        expected = new_start if session_id == moved_id else str(session["starts_at"])
        assert start.isoformat() == _as_berlin(expected)
    other = await scheduling.http.get(
        "/people/mentee/calendar.ics", headers=scheduling.as_participant("x")
    )
    assert other.status_code == 403


def _as_berlin(utc_iso: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(utc_iso).astimezone(ZoneInfo("Europe/Berlin")).isoformat()
