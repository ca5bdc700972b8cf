"""Use cases over the hand-written fake unit of work: the scheduling rules, fast, no I/O."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from pydantic import ValidationError

from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeUpdated,
    PairCreated,
    PairEnded,
    PairEndReason,
    PairMember,
    ProgramClosed,
    ProgramOpened,
    SessionCancelled,
    SessionHeld,
    SessionMissed,
    SessionReminderDue,
    SessionRescheduled,
    SessionScheduled,
    SessionUnschedulable,
)
from tandem_contracts.events.scheduling import CancellationReason, MissCause, MissedBy
from tandem_contracts.values import Availability, ProgramFormat, Weekday
from tandem_scheduling.domain.sessions import Outcome, Session, SessionStatus
from tandem_scheduling.service import changes, lifecycle, planning, privacy, relocation, views
from tandem_scheduling.service.commands import Cancel, ReportAttendance, Reschedule
from tandem_scheduling.service.ticker import tick
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.auth import PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.clock import FakeClock
from tandem_servicekit.errors import Conflict, Forbidden, InvalidRequest, NotFound
from tandem_servicekit.repository import Paging

from .builders import windows
from .fakes import FakeSchedulingUnitOfWork

NOW = datetime(2027, 1, 1, 12, tzinfo=UTC)  # a Friday
RULES = SchedulingRules()
MORNINGS = windows("Europe/Berlin", (9, 0), (11, 0))
EVENINGS = windows("Europe/Berlin", (18, 0), (20, 0))
PM = Principal("pm", frozenset({PROGRAM_MANAGER}))


def me(employee_id: str) -> Principal:
    return Principal(employee_id, frozenset({PARTICIPANT}))


def member(employee_id: str, availability: Availability = MORNINGS) -> PairMember:
    return PairMember(
        employee_id=employee_id,
        enrollment_id=f"en-{employee_id}",
        languages=("en",),
        availability=availability,
    )


def pair_created(
    pair_id: str,
    mentor: str = "mentor",
    mentee: str = "mentee",
    *,
    mentor_availability: Availability = MORNINGS,
    mentee_availability: Availability = MORNINGS,
    **fields: Any,
) -> PairCreated:
    values: dict[str, Any] = {
        "pair_id": pair_id,
        "program_id": "prog",
        "mentor": member(mentor, mentor_availability),
        "mentee": member(mentee, mentee_availability),
        "topics": ("ai_tools",),
        "cadence_weeks": 1,
        "session_minutes": 45,
        "starts_on": date(2027, 1, 4),
        "ends_on": date(2027, 3, 26),
        "score": 1.0,
        "created_at": NOW,
    }
    return PairCreated(**{**values, **fields})


def published(uow: FakeSchedulingUnitOfWork, kind: type[Any]) -> list[Any]:
    return [e for e in uow.published if isinstance(e, kind)]


async def plan(uow: FakeSchedulingUnitOfWork, *events: PairCreated) -> None:
    async with uow:
        await lifecycle.on_program_opened(opened(), uow)
        await planning.on_pairs_created(events, uow, RULES)
        await uow.commit()


def opened() -> ProgramOpened:
    return ProgramOpened(
        program_id="prog",
        name="Digital",
        starts_on=date(2027, 1, 4),
        ends_on=date(2027, 3, 26),
        duration_weeks=12,
        cadence_weeks=1,
        session_minutes=45,
        format=ProgramFormat.ONE_TO_ONE,
        topics=("ai_tools",),
        manager_ids=("pm",),
        opened_at=NOW,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def uow(clock: FakeClock) -> FakeSchedulingUnitOfWork:
    return FakeSchedulingUnitOfWork(clock)


async def test_a_new_pair_gets_its_series_published_only_a_horizon_ahead(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1"))
    scheduled = published(uow, SessionScheduled)
    assert [s.sequence for s in scheduled] == [1, 2, 3, 4]  # 28 days from 1 January
    assert all(s.ends_at - s.starts_at == timedelta(minutes=45) for s in scheduled)
    listing = await views.pair_sessions("p1", Paging(limit=100), me("mentee"), uow)
    assert listing.total == 12
    assert [v.status.value for v in listing.items].count("planned") == 8


async def test_the_same_pair_announced_twice_is_planned_once(uow: FakeSchedulingUnitOfWork) -> None:
    await plan(uow, pair_created("p1"))
    await plan(uow, pair_created("p1"))
    assert len(published(uow, SessionScheduled)) == 4


async def test_a_mentor_with_two_mentees_is_never_double_booked(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1", mentee="a"), pair_created("p2", mentee="b"))
    await plan(uow, pair_created("p3", mentee="c"))
    spans = sorted((s.starts_at, s.ends_at) for s in published(uow, SessionScheduled))
    assert len(spans) == 12
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end + RULES.buffer


async def test_no_common_time_reports_every_week_and_invents_nothing(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1", mentee_availability=EVENINGS))
    assert published(uow, SessionScheduled) == []
    reports = published(uow, SessionUnschedulable)
    assert [r.sequence for r in reports] == [1, 2, 3, 4]
    assert {r.reason.value for r in reports} == {"no_common_time"}


async def test_a_group_meets_together_and_a_mentee_outside_its_time_is_reported(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.GROUP}
    await plan(
        uow,
        pair_created("g1", mentee="a", **group),
        pair_created("g2", mentee="b", **group),
        pair_created("g3", mentee="c", mentee_availability=EVENINGS, **group),
    )
    scheduled = published(uow, SessionScheduled)
    assert {s.pair_id for s in scheduled} == {"g1", "g2"}
    first = [s for s in scheduled if s.sequence == 1]
    assert len({s.meeting_id for s in first}) == 1
    assert len({s.starts_at for s in first}) == 1
    outside = published(uow, SessionUnschedulable)
    assert {(r.pair_id, r.reason.value) for r in outside} == {("g3", "outside_group_time")}


async def test_a_pair_joining_a_group_later_joins_its_published_meetings(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.WORKSHOP}
    await plan(uow, pair_created("g1", mentee="a", **group))
    await plan(uow, pair_created("g2", mentee="b", **group))
    by_pair: dict[str, list[SessionScheduled]] = {}
    for s in published(uow, SessionScheduled):
        by_pair.setdefault(s.pair_id, []).append(s)
    assert [s.starts_at for s in by_pair["g1"]] == [s.starts_at for s in by_pair["g2"]]
    assert all(s.format is ProgramFormat.WORKSHOP for s in by_pair["g2"])


async def test_pair_ended_cancels_each_future_session_once(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    ended = PairEnded(
        pair_id="p1",
        program_id="prog",
        mentor_id="mentor",
        mentee_id="mentee",
        reason=PairEndReason.PARTICIPANT_DEPARTED,
        ended_at=NOW,
    )
    for _ in range(2):
        async with uow:
            await lifecycle.on_pair_ended(ended, uow)
            await uow.commit()
    cancelled = published(uow, SessionCancelled)
    assert len(cancelled) == 4
    assert {c.reason for c in cancelled} == {CancellationReason.PARTICIPANT_DEPARTED}
    clock.set(NOW + timedelta(weeks=6))
    await tick(lambda: uow, RULES)
    assert len(published(uow, SessionScheduled)) == 4  # nothing more for an ended pair


async def test_program_closed_cancels_its_sessions_in_chunks(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, *(pair_created(f"p{i}", mentee=f"m{i}", mentor=f"t{i}") for i in range(3)))
    async with uow:
        await lifecycle.on_program_closed(ProgramClosed(program_id="prog", closed_at=NOW), uow, 2)
        await uow.commit()
    done = await tick(lambda: uow, RULES.model_copy(update={"close_batch": 2}))
    assert done["wind_down_closed"] >= 1  # the first chunk went with the event
    cancelled = published(uow, SessionCancelled)
    assert len(cancelled) == 12
    assert len({c.session_id for c in cancelled}) == 12
    assert {c.reason for c in cancelled} == {CancellationReason.PROGRAM_CLOSED}
    assert (await uow.programs.get("prog")) is not None


async def test_the_ticker_publishes_reminds_and_reports_unconfirmed_once(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    first = published(uow, SessionScheduled)[0]
    clock.set(first.starts_at - timedelta(hours=23))
    await tick(lambda: uow, RULES)
    await tick(lambda: uow, RULES)
    assert [r.session_id for r in published(uow, SessionReminderDue)] == [first.session_id]
    assert len(published(uow, SessionScheduled)) == 4
    clock.set(first.ends_at + timedelta(hours=48))
    await tick(lambda: uow, RULES)
    await tick(lambda: uow, RULES)
    assert len(published(uow, SessionScheduled)) == 5  # the horizon moved on by a week
    [missed] = published(uow, SessionMissed)
    assert (missed.session_id, missed.missed_by, missed.cause) == (
        first.session_id,
        MissedBy.BOTH,
        MissCause.UNCONFIRMED,
    )


async def test_reminders_that_fell_due_during_downtime_are_skipped_once_started(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    first = published(uow, SessionScheduled)[0]
    clock.set(first.starts_at + timedelta(minutes=5))
    await tick(lambda: uow, RULES)
    assert first.session_id not in {r.session_id for r in published(uow, SessionReminderDue)}


async def scheduled_session(uow: FakeSchedulingUnitOfWork, sequence: int = 1) -> Session:
    [found] = [s for s in uow.sessions.items.values() if s.sequence == sequence]
    return found


async def test_reschedule_inside_both_windows_moves_the_session(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow, 2)
    new_start = session.starts_at + timedelta(days=1, minutes=30)
    async with uow:
        moved = await changes.reschedule(
            session.session_id, Reschedule(starts_at=new_start), me("mentee"), uow, RULES
        )
    assert (moved.starts_at, moved.revision) == (new_start, 1)
    [event] = published(uow, SessionRescheduled)
    assert event.previous_starts_at == session.starts_at


@pytest.mark.parametrize(
    ("shift", "minutes", "why"),
    [
        (timedelta(hours=3), None, "outside the mentor's availability"),
        (timedelta(minutes=90), None, "outside the mentor's availability"),
        (timedelta(days=-7), None, "outside this session's week"),
        (timedelta(weeks=20), None, "outside this session's week"),
    ],
)
async def test_reschedule_into_a_bad_time_is_a_conflict_naming_why(
    uow: FakeSchedulingUnitOfWork, shift: timedelta, minutes: int | None, why: str
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow, 3)
    async with uow:
        with pytest.raises(Conflict, match=why):
            await changes.reschedule(
                session.session_id,
                Reschedule(starts_at=session.starts_at + shift, minutes=minutes),
                me("mentor"),
                uow,
                RULES,
            )


async def test_reschedule_onto_another_session_of_a_member_is_a_conflict(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1", mentee="a"), pair_created("p2", mentee="b"))
    mine, other = sorted(
        (s for s in uow.sessions.items.values() if s.sequence == 2), key=lambda s: s.pair_id
    )
    async with uow:
        with pytest.raises(Conflict, match="the mentor has another session"):
            await changes.reschedule(
                mine.session_id,
                Reschedule(starts_at=other.starts_at + timedelta(minutes=15)),
                me("a"),
                uow,
                RULES,
            )


async def test_only_members_and_managers_change_sessions(uow: FakeSchedulingUnitOfWork) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow)
    async with uow:
        with pytest.raises(Forbidden):
            await changes.cancel(session.session_id, Cancel(), me("stranger"), uow)
        with pytest.raises(Forbidden):
            await changes.report_attendance(
                session.session_id, ReportAttendance(outcome=Outcome.PARTNER_ABSENT), PM, uow
            )
        with pytest.raises(NotFound):
            await changes.cancel("ses-unknown", Cancel(), PM, uow)
        cancelled = await changes.cancel(session.session_id, Cancel(note="ill"), PM, uow)
    assert cancelled.cancel_reason is CancellationReason.REQUESTED_BY_PROGRAM_MANAGER
    async with uow:  # again: the cancelled session, no second event
        await changes.cancel(session.session_id, Cancel(), me("mentor"), uow)
    assert len(published(uow, SessionCancelled)) == 1


async def test_attendance_first_account_decides_and_repeats_are_idempotent(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow)
    held = ReportAttendance(outcome=Outcome.HELD, minutes=40)
    async with uow:
        with pytest.raises(Conflict, match="not started"):
            await changes.report_attendance(session.session_id, held, me("mentee"), uow)
    clock.set(session.ends_at)
    for _ in range(2):
        async with uow:
            result = await changes.report_attendance(session.session_id, held, me("mentee"), uow)
    assert result.status is SessionStatus.HELD
    [event] = published(uow, SessionHeld)
    assert event.duration_minutes == 40
    async with uow:
        with pytest.raises(Conflict, match="disagree"):
            await changes.report_attendance(
                session.session_id,
                ReportAttendance(outcome=Outcome.PARTNER_ABSENT),
                me("mentor"),
                uow,
            )
        agreed = await changes.report_attendance(session.session_id, held, me("mentor"), uow)
    assert agreed.mentor_report is not None
    assert len(published(uow, SessionHeld)) == 1


async def test_reporting_the_partner_absent_misses_the_session_by_them(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow)
    clock.set(session.ends_at)
    async with uow:
        await changes.report_attendance(
            session.session_id, ReportAttendance(outcome=Outcome.PARTNER_ABSENT), me("mentor"), uow
        )
    [missed] = published(uow, SessionMissed)
    assert (missed.missed_by, missed.cause) == (MissedBy.MENTEE, MissCause.REPORTED)


async def test_a_time_zone_move_refits_or_cancels_and_replans(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    """The mentee moves from Berlin to New York: 09:00-11:00 there never meets the mentor's
    Berlin mornings, so every published session is cancelled and reported, and no planned
    week remains placed."""
    await plan(uow, pair_created("p1"))
    await hr_zone(uow, "mentee", "Europe/Berlin", NOW - timedelta(days=30))
    await hr_zone(uow, "mentee", "America/New_York", NOW)
    cancelled = published(uow, SessionCancelled)
    assert len(cancelled) == 4
    assert {c.reason for c in cancelled} == {CancellationReason.NO_COMMON_TIME}
    assert len(published(uow, SessionUnschedulable)) == 4
    series = await uow.series.of_pair("p1")
    assert series is not None
    assert all(w.span is None for w in series.planned)


async def test_a_time_zone_move_that_still_fits_changes_only_the_calendar_zone(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1"))
    await hr_zone(uow, "mentee", "Europe/Berlin", NOW - timedelta(days=30))
    await hr_zone(uow, "mentee", "Europe/Paris", NOW)
    assert published(uow, SessionCancelled) == published(uow, SessionRescheduled) == []
    assert {s.mentee_time_zone for s in uow.sessions.items.values()} == {"Europe/Paris"}


async def hr_zone(uow: FakeSchedulingUnitOfWork, employee_id: str, zone: str, at: datetime) -> None:
    record = EmployeeUpdated(
        employee_id=employee_id,
        department="IT",
        job_level=1,
        languages=("en",),
        time_zone=zone,
        effective_at=at,
    )
    async with uow:
        await relocation.on_employee_records([record], uow, RULES)
        await uow.commit()


async def test_hr_records_out_of_order_or_in_another_zone_move_nothing(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    """The first HR record is the baseline; an older one arriving late is ignored; a change of
    job level is no move; a mentee whose windows are in another zone than HR's keeps them."""
    await plan(uow, pair_created("p1"))
    await hr_zone(uow, "mentee", "Europe/Berlin", NOW)
    await hr_zone(uow, "mentee", "America/New_York", NOW - timedelta(days=1))  # stale
    await hr_zone(uow, "mentee", "Europe/Berlin", NOW + timedelta(days=1))  # same zone
    await hr_zone(uow, "mentor", "Asia/Tokyo", NOW)  # baseline for the mentor
    await hr_zone(uow, "mentor", "America/New_York", NOW + timedelta(days=1))  # Berlin windows
    assert published(uow, SessionCancelled) == published(uow, SessionRescheduled) == []
    assert {s.mentee_time_zone for s in uow.sessions.items.values()} == {"Europe/Berlin"}


async def test_a_departure_cancels_and_stops_the_series(uow: FakeSchedulingUnitOfWork) -> None:
    await plan(uow, pair_created("p1"))
    async with uow:
        await lifecycle.on_departures(
            [EmployeeDeparted(employee_id="mentor", departed_on=NOW.date(), effective_at=NOW)], uow
        )
        await uow.commit()
    assert len(published(uow, SessionCancelled)) == 4
    series = await uow.series.of_pair("p1")
    assert series is not None
    assert series.ended


def pair_ended(reason: PairEndReason, pair_id: str = "p1") -> PairEnded:
    return PairEnded(
        pair_id=pair_id,
        program_id="prog",
        mentor_id="mentor",
        mentee_id="mentee",
        reason=reason,
        ended_at=NOW,
    )


async def departure(uow: FakeSchedulingUnitOfWork, who: str) -> None:
    departed = EmployeeDeparted(employee_id=who, departed_on=NOW.date(), effective_at=NOW)
    await lifecycle.on_departures([departed], uow)


async def close(uow: FakeSchedulingUnitOfWork) -> None:
    await lifecycle.on_program_closed(ProgramClosed(program_id="prog", closed_at=NOW), uow, 100)


CAUSES: dict[str, tuple[Callable[[FakeSchedulingUnitOfWork], Awaitable[None]], PairEndReason]] = {
    "mentee departed": (partial(departure, who="mentee"), PairEndReason.PARTICIPANT_DEPARTED),
    "mentor departed": (partial(departure, who="mentor"), PairEndReason.PARTICIPANT_DEPARTED),
    "program closed": (close, PairEndReason.COMPLETED),
}
"""What ends a pair, on another topic or partition than the PairEnded it causes."""


@pytest.mark.parametrize("cause", sorted(CAUSES))
@pytest.mark.parametrize("cause_first", [True, False])
async def test_a_cause_and_its_pair_ended_leave_one_state_in_either_order(
    cause: str, cause_first: bool
) -> None:
    """Read in either order (seen in a run with a broker outage), they leave the same series
    and the same cancellations."""
    uow = FakeSchedulingUnitOfWork(FakeClock(NOW))
    await plan(uow, pair_created("p1"))
    apply_cause, reason = CAUSES[cause]

    async def the_pair_ended(uow: FakeSchedulingUnitOfWork) -> None:
        await lifecycle.on_pair_ended(pair_ended(reason), uow)

    for step in (apply_cause, the_pair_ended) if cause_first else (the_pair_ended, apply_cause):
        async with uow:
            await step(uow)
            await uow.commit()
    series = await uow.series.of_pair("p1")
    assert series is not None
    assert (series.ended, series.planned, series.people, series.active_pairs) == (True, (), (), ())
    cancelled = published(uow, SessionCancelled)
    assert len(cancelled) == 4
    expected = (
        CancellationReason.PROGRAM_CLOSED
        if cause == "program closed"
        else CancellationReason.PARTICIPANT_DEPARTED
    )
    assert {c.reason for c in cancelled} == {expected}


@pytest.mark.parametrize("departure_first", [True, False])
async def test_a_group_losing_a_mentee_ends_up_the_same_in_either_order(
    departure_first: bool,
) -> None:
    uow = FakeSchedulingUnitOfWork(FakeClock(NOW))
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.GROUP}
    await plan(
        uow, pair_created("g1", mentee="a", **group), pair_created("g2", mentee="b", **group)
    )
    ended = pair_ended(PairEndReason.PARTICIPANT_DEPARTED, pair_id="g1")
    ended = ended.model_copy(update={"mentee_id": "a"})
    steps = [partial(departure, who="a"), partial(lifecycle.on_pair_ended, ended)]
    for step in steps if departure_first else steps[::-1]:
        async with uow:
            await step(uow)
            await uow.commit()
    series = await uow.series.get("grp-1")
    assert series is not None
    assert not series.ended
    assert [p.pair_id for p in series.active_pairs] == ["g2"]
    assert series.people == ("mentor", "b")
    assert all(w.pair_ids in ((), ("g2",)) for w in series.planned)
    cancelled = published(uow, SessionCancelled)
    assert {c.pair_id for c in cancelled} == {"g1"}
    assert {c.reason for c in cancelled} == {CancellationReason.PARTICIPANT_DEPARTED}


async def test_erasure_leaves_times_and_counts_but_not_the_person(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1"))
    async with uow:
        changed = await privacy.erase("mentee", uow)
        await uow.commit()
    assert changed == 5
    assert all("mentee" not in s.participants for s in uow.sessions.items.values())
    assert len(uow.sessions.items) == 4
    await plan(uow, pair_created("p2"))  # announced before the erasure, arriving after it
    assert await uow.series.of_pair("p2") is None


async def test_a_group_losing_its_mentor_and_a_mentee_at_once_stays_ended(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.GROUP}
    await plan(
        uow, pair_created("g1", mentee="a", **group), pair_created("g2", mentee="b", **group)
    )
    leaving = [
        EmployeeDeparted(employee_id=who, departed_on=NOW.date(), effective_at=NOW)
        for who in ("mentor", "a")
    ]
    async with uow:
        await lifecycle.on_departures(leaving, uow)
        await uow.commit()
    series = await uow.series.get("grp-1")
    assert series is not None
    assert series.ended
    assert series.people == ()


async def test_a_pair_joining_a_group_whose_pairs_all_ended_gets_sessions(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.WORKSHOP}
    await plan(uow, pair_created("g1", mentee="a", **group))
    ended = PairEnded(
        pair_id="g1",
        program_id="prog",
        mentor_id="mentor",
        mentee_id="a",
        reason=PairEndReason.WITHDRAWN,
        ended_at=NOW,
    )
    async with uow:
        await lifecycle.on_pair_ended(ended, uow)
        await uow.commit()
    await plan(uow, pair_created("g2", mentee="b", **group))
    assert {s.sequence for s in published(uow, SessionScheduled) if s.pair_id == "g2"} == {
        1,
        2,
        3,
        4,
    }


async def test_the_mentor_cancels_the_rest_of_a_meeting_a_mentee_left(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    group: dict[str, Any] = {"group_id": "grp-1", "format": ProgramFormat.GROUP}
    await plan(
        uow, pair_created("g1", mentee="a", **group), pair_created("g2", mentee="b", **group)
    )
    mine = next(s for s in uow.sessions.items.values() if s.pair_id == "g1" and s.sequence == 2)
    async with uow:
        own = await changes.cancel(mine.session_id, Cancel(), me("a"), uow)
    assert own.cancel_reason is CancellationReason.REQUESTED_BY_MENTEE
    async with uow:
        await changes.cancel(mine.session_id, Cancel(), me("mentor"), uow)
    week_two = [s for s in uow.sessions.items.values() if s.sequence == 2]
    assert {s.status for s in week_two} == {SessionStatus.CANCELLED}
    assert len(published(uow, SessionCancelled)) == 2


async def test_a_new_series_starts_after_the_notice_on_a_whole_minute(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    clock.set(NOW + timedelta(seconds=37, microseconds=5))  # Friday 12:00:37
    all_day = windows("Europe/Berlin", (0, 0), (23, 59), tuple(Weekday))
    await plan(
        uow,
        pair_created(
            "p1",
            mentor_availability=all_day,
            mentee_availability=all_day,
            starts_on=NOW.date(),
        ),
    )
    first = min(published(uow, SessionScheduled), key=lambda s: s.starts_at)
    assert first.starts_at == NOW + timedelta(hours=24, minutes=1)
    assert (first.starts_at.second, first.starts_at.microsecond) == (0, 0)


async def test_reported_weeks_stay_in_the_listing_after_publication(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1", mentee_availability=EVENINGS))
    listing = await views.pair_sessions("p1", Paging(limit=100), PM, uow)
    assert listing.total == 12
    assert {v.status.value for v in listing.items} == {"unschedulable"}
    assert [v.sequence for v in listing.items] == list(range(1, 13))


async def test_a_moved_session_is_not_reminded_twice(
    uow: FakeSchedulingUnitOfWork, clock: FakeClock
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow, 2)
    clock.set(session.starts_at - timedelta(hours=20))
    await tick(lambda: uow, RULES)
    async with uow:
        await changes.reschedule(
            session.session_id,
            Reschedule(starts_at=session.starts_at + timedelta(minutes=30)),
            me("mentor"),
            uow,
            RULES,
        )
    await tick(lambda: uow, RULES)
    reminders = [
        r for r in published(uow, SessionReminderDue) if r.session_id == session.session_id
    ]
    assert len(reminders) == 1
    assert len(published(uow, SessionRescheduled)) == 1


async def test_a_reschedule_far_beyond_any_series_is_a_clear_422(
    uow: FakeSchedulingUnitOfWork,
) -> None:
    await plan(uow, pair_created("p1"))
    session = await scheduled_session(uow, 2)
    far = datetime(9999, 12, 31, 23, 30, tzinfo=UTC)
    async with uow:
        with pytest.raises(InvalidRequest, match="starts_at"):
            await changes.reschedule(
                session.session_id, Reschedule(starts_at=far), me("mentor"), uow, RULES
            )
    with pytest.raises(ValidationError, match="out of range"):
        Reschedule.model_validate({"starts_at": "0001-01-01T00:30:00+05:00"})
