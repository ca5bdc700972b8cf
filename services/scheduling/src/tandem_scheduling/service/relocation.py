"""An HR time-zone change of a member moves their weekly windows to the new zone (the same
wall-clock slots, now read there): sessions that no longer fit are moved within their week,
or cancelled and reported when nothing fits; the weeks still to come are planned again.

A change is a new HR zone for the person, compared with the zone HR last stated (kept per
person, newest `effective_at` first): not with the zone their availability was entered in,
which the participant chose and may differ from HR's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tandem_contracts.events import EmployeeHired, EmployeeUpdated, SessionUnschedulable
from tandem_contracts.events.scheduling import CancellationReason, UnschedulableReason
from tandem_scheduling.domain.availability import within_local_window
from tandem_scheduling.domain.calendar import BusyCalendar
from tandem_scheduling.domain.people import HrZone
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session
from tandem_scheduling.domain.weeks import week_of
from tandem_scheduling.service.busy import calendar_of
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules


async def on_employee_records(
    events: Iterable[EmployeeHired | EmployeeUpdated],
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
) -> None:
    """Keep each person's HR time zone (newest `effective_at` wins, whatever the arrival
    order); when it changes, the person's series windows that were in the old zone move."""
    latest: dict[str, HrZone] = {}
    for event in events:
        zone = HrZone(
            employee_id=event.employee_id,
            time_zone=event.time_zone,
            effective_at=event.effective_at,
        )
        held = latest.get(event.employee_id)
        if held is None or held.effective_at < zone.effective_at:
            latest[event.employee_id] = zone
    if not latest:
        return
    known = await uow.zones.get_many(latest)
    newer = [
        z
        for z in latest.values()
        if z.employee_id not in known or known[z.employee_id].effective_at < z.effective_at
    ]
    moves = {
        z.employee_id: (known[z.employee_id].time_zone, z.time_zone)
        for z in newer
        if z.employee_id in known and known[z.employee_id].time_zone != z.time_zone
    }
    await uow.zones.put_many(newer)
    if moves:
        await _relocate(moves, uow, rules)


async def _relocate(
    moves: dict[str, tuple[str, str]], uow: SchedulingUnitOfWork, rules: SchedulingRules
) -> None:
    """Windows a member gave in their old HR zone are read in the new one; windows they gave
    in another zone on purpose stay as they are."""
    now = uow.clock.now()
    for running in await uow.series.of_people(moves):
        movers = {
            person: new
            for person, (old, new) in moves.items()
            if (member := running.person(person)) is not None
            and member.availability.time_zone == old
        }
        if not movers:
            continue
        series = running
        for person, tz in movers.items():
            series = series.moved(person, tz)
        await uow.lock_calendars(series.people)
        published = await uow.sessions.upcoming_of_series(series.series_id, now)
        calendar = await calendar_of(
            series.people,
            uow,
            after=now,
            buffer=rules.buffer,
            skip_planned_of=[series.series_id],
            skip_sessions=[s.session_id for s in published],
        )
        await _refit_published(series, published, set(movers), calendar, uow, rules)
        await uow.series.put(series.plan(calendar, rules.earliest_start(now)))


async def _refit_published(
    series: Series,
    published: list[Session],
    movers: set[str],
    calendar: BusyCalendar,
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
) -> None:
    now = uow.clock.now()
    meetings: dict[str, list[Session]] = {}
    for session in sorted(published, key=lambda s: (s.sequence, s.pair_id)):
        meetings.setdefault(session.meeting_id or session.session_id, []).append(
            _with_zones(session, series)
        )
    changed: list[Session] = []
    for sessions in meetings.values():
        span = sessions[0].span
        fitting = {s.session_id for s in sessions if _fits(s, series, calendar)}
        if len(fitting) == len(sessions):
            changed.extend(sessions)  # same instants; the zones shown in calendars changed
            _book(calendar, sessions)
        elif series.together and series.mentor.employee_id not in movers:
            outside = UnschedulableReason.OUTSIDE_GROUP_TIME
            changed.extend(
                s if s.session_id in fitting else _give_up(s, outside, series, now)
                for s in sessions
            )
            _book(calendar, [s for s in sessions if s.session_id in fitting])
        else:
            week = week_of(
                series.starts_on, series.ends_on, series.cadence_weeks, sessions[0].sequence
            )
            members = [p for p in series.pairs if p.pair_id in {s.pair_id for s in sessions}]
            earliest = rules.earliest_start(now)
            planned = series.place_week(week, calendar, series.preferred, earliest, members)
            reasons = {u.pair_id: u.reason for u in planned.unplaced}
            new_span = planned.span
            for session in sessions:
                if new_span is not None and session.pair_id in planned.pair_ids:
                    moved = (
                        session
                        if new_span == span
                        else session.reschedule(new_span, rules.timing, now)
                    )
                    changed.append(moved)
                    for person in session.participants:
                        calendar.add(person, new_span)
                else:
                    reason = reasons.get(session.pair_id, UnschedulableReason.NO_COMMON_TIME)
                    changed.append(_give_up(session, reason, series, now))
    await uow.sessions.put_many(changed)


def _book(calendar: BusyCalendar, sessions: Iterable[Session]) -> None:
    """Sessions that stay take their time, so nothing placed after them collides."""
    for session in sessions:
        for person in session.participants:
            calendar.add(person, session.span)


def _with_zones(session: Session, series: Series) -> Session:
    mentor, mentee = series.person(session.mentor_id), series.person(session.mentee_id)
    return session.model_copy(
        update={
            "mentor_time_zone": mentor.availability.time_zone
            if mentor
            else session.mentor_time_zone,
            "mentee_time_zone": mentee.availability.time_zone
            if mentee
            else session.mentee_time_zone,
        }
    )


def _fits(session: Session, series: Series, calendar: BusyCalendar) -> bool:
    for person in session.participants:
        member = series.person(person)
        if member is None or not within_local_window(member.availability, session.span):
            return False
        if calendar.collisions(person, session.span):
            return False
    return True


def _give_up(
    session: Session, reason: UnschedulableReason, series: Series, now: datetime
) -> Session:
    """Cancelled, then reported: the week has no time that suits them any more."""
    week = week_of(series.starts_on, series.ends_on, series.cadence_weeks, session.sequence)
    return session.cancel(CancellationReason.NO_COMMON_TIME, now).recording(
        SessionUnschedulable(
            session_id=session.session_id,
            pair_id=session.pair_id,
            program_id=session.program_id,
            sequence=session.sequence,
            week_starts_on=week.first,
            week_ends_on=week.last,
            reason=reason,
            reported_at=now,
        )
    )
