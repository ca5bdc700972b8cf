"""An HR time-zone change of a member moves their weekly windows to the new zone (the same
wall-clock slots, now read there): sessions that no longer fit are moved within their week,
or cancelled and reported when nothing fits; the weeks still to come are planned again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tandem_contracts.events import EmployeeUpdated, SessionUnschedulable
from tandem_contracts.events.scheduling import CancellationReason, UnschedulableReason
from tandem_scheduling.domain.availability import within_local_window
from tandem_scheduling.domain.calendar import BusyCalendar
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session
from tandem_scheduling.domain.weeks import week_of
from tandem_scheduling.service.busy import calendar_of
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules


async def on_employee_updates(
    events: Iterable[EmployeeUpdated], uow: SchedulingUnitOfWork, rules: SchedulingRules
) -> None:
    zones = {e.employee_id: e.time_zone for e in events}  # the last record of each wins
    if not zones:
        return
    now = uow.clock.now()
    for running in await uow.series.of_people(zones):
        movers = {
            person: tz
            for person, tz in zones.items()
            if (member := running.person(person)) is not None
            and member.availability.time_zone != tz
        }
        if not movers:
            continue
        series = running
        for person, tz in movers.items():
            series = series.moved(person, tz)
        published = await uow.sessions.upcoming_of_series(series.series_id, now)
        calendar, _ = await calendar_of(
            series.people,
            uow,
            after=now,
            buffer=rules.buffer,
            skip_planned_of=[series.series_id],
            skip_sessions=[s.session_id for s in published],
        )
        await _refit_published(series, published, set(movers), calendar, uow, rules)
        await uow.series.put(series.plan(calendar, now))


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
        elif series.together and series.mentor.employee_id not in movers:
            outside = UnschedulableReason.OUTSIDE_GROUP_TIME
            changed.extend(
                s if s.session_id in fitting else _give_up(s, outside, series, now)
                for s in sessions
            )
        else:
            week = week_of(
                series.starts_on, series.ends_on, series.cadence_weeks, sessions[0].sequence
            )
            members = [p for p in series.pairs if p.pair_id in {s.pair_id for s in sessions}]
            planned = series.place_week(week, calendar, series.preferred, now, members)
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
