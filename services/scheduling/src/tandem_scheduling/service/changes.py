"""What the members of a pair (and its program's managers) change: move, cancel, attend.

Group and workshop meetings move and are cancelled as one (by the mentor or a manager); a
mentee of a group cancels only their own place in it.
"""

from __future__ import annotations

from datetime import timedelta

from tandem_contracts.events.scheduling import CancellationReason
from tandem_contracts.values import Role
from tandem_scheduling.domain.availability import within_local_window, zone
from tandem_scheduling.domain.errors import SlotConflict
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import AttendanceReport, Session, SessionStatus
from tandem_scheduling.domain.spans import Span
from tandem_scheduling.domain.weeks import week_of
from tandem_scheduling.service.access import manages, require_member_or_manager, side_of
from tandem_scheduling.service.busy import calendar_of
from tandem_scheduling.service.commands import Cancel, ReportAttendance, Reschedule
from tandem_scheduling.service.lookups import as_conflict, get_session
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import Conflict, Forbidden, InvalidRequest

MOST_AHEAD = timedelta(weeks=8 * 104)
"""No series reaches further (cadence 8, 104 weeks): a later time is refused before any
arithmetic on it."""
CANCELLED_BY = {
    Role.MENTOR: CancellationReason.REQUESTED_BY_MENTOR,
    Role.MENTEE: CancellationReason.REQUESTED_BY_MENTEE,
}


async def _meeting(session: Session, uow: SchedulingUnitOfWork) -> list[Session]:
    """The sessions that move together with `session` (its group meeting, or itself)."""
    if session.meeting_id is None:
        return [session]
    return [
        s for s in await uow.sessions.of_meeting(session.meeting_id) if s.status is session.status
    ]


async def reschedule(
    session_id: str,
    body: Reschedule,
    caller: Principal,
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
) -> Session:
    session = await get_session(session_id, uow)
    program = await uow.programs.get(session.program_id)
    require_member_or_manager(caller, session.participants, program)
    leads = manages(caller, program) or side_of(caller, session) is Role.MENTOR
    if session.meeting_id is not None and not leads:
        raise Forbidden(
            "a group meeting is moved by its mentor or a program manager; "
            "cancel your own place instead"
        )
    now = uow.clock.now()
    if body.starts_at <= now:
        raise InvalidRequest("starts_at", "must be in the future")
    if body.starts_at - now > MOST_AHEAD:
        raise InvalidRequest("starts_at", "must lie within the session's own week")
    length = timedelta(minutes=body.minutes) if body.minutes else session.span.length
    span = Span(body.starts_at, body.starts_at + length)
    if body.starts_at.second or body.starts_at.microsecond:
        raise InvalidRequest("starts_at", "sessions start on a whole minute")
    meeting = await _meeting(session, uow)
    series = await uow.series.get(session.series_id)
    if series is None:
        raise Conflict("this session's series is no longer running")
    with as_conflict():
        for one in meeting:
            one.require_upcoming("moved", now)
        _require_within_week(series, session.sequence, span)
        await _require_free(series, meeting, span, uow, rules)
        moved = [one.reschedule(span, rules.timing, now) for one in meeting]
    await uow.sessions.put_many(moved)
    await uow.commit()
    return next(m for m in moved if m.session_id == session_id)


def _require_within_week(series: Series, sequence: int, span: Span) -> None:
    """A session moves within its own week of the series (the mentor's local days), so every
    week keeps exactly one session."""
    week = week_of(series.starts_on, series.ends_on, series.cadence_weeks, sequence)
    zone_name = series.mentor.availability.time_zone
    if not week.span(zone_name).contains(span):
        raise SlotConflict(
            f"outside this session's week ({week.first} to {week.last} in the mentor's time "
            f"zone {zone_name}); cancel it and talk about the next week's instead"
        )


async def _require_free(
    series: Series,
    meeting: list[Session],
    span: Span,
    uow: SchedulingUnitOfWork,
    rules: SchedulingRules,
) -> None:
    """Inside every member's availability and clear of their other sessions, or say why."""
    roles = {s.mentor_id: "mentor" for s in meeting} | {s.mentee_id: "mentee" for s in meeting}
    await uow.lock_calendars(roles)
    calendar = await calendar_of(
        roles,
        uow,
        after=uow.clock.now(),
        buffer=rules.buffer,
        skip_sessions=[s.session_id for s in meeting],
    )
    for person, role in roles.items():
        member = series.person(person)
        if member is None:
            raise SlotConflict(f"the {role} is no longer part of this series")
        availability = member.availability
        if not within_local_window(availability, span):
            local = span.start.astimezone(zone(availability.time_zone))
            raise SlotConflict(
                f"outside the {role}'s availability: {local:%A %H:%M} in "
                f"{availability.time_zone} is not inside one of their weekly windows"
            )
        for other in calendar.collisions(person, span):
            raise SlotConflict(
                f"the {role} has another session from {other.start:%Y-%m-%d %H:%M} to "
                f"{other.end:%H:%M} UTC (sessions keep {rules.buffer_minutes} minutes apart)"
            )


async def cancel(
    session_id: str, body: Cancel, caller: Principal, uow: SchedulingUnitOfWork
) -> Session:
    session = await get_session(session_id, uow)
    program = await uow.programs.get(session.program_id)
    require_member_or_manager(caller, session.participants, program)
    side = side_of(caller, session)
    if manages(caller, program) and side is None:
        reason = CancellationReason.REQUESTED_BY_PROGRAM_MANAGER
    else:
        reason = CANCELLED_BY[side or Role.MENTEE]
    whole = reason is not CancellationReason.REQUESTED_BY_MENTEE
    if whole and session.meeting_id is not None:  # the group's meeting, places still booked
        targets = [
            s
            for s in await uow.sessions.of_meeting(session.meeting_id)
            if s.status is SessionStatus.SCHEDULED or s.session_id == session_id
        ]
    else:
        targets = [session]
    targets = [t for t in targets if t.cancel_reason is None]
    if not targets:
        return session  # cancelled already: a retried request changes nothing
    now = uow.clock.now()
    with as_conflict():
        cancelled = [one.cancel(reason, now, note=body.note) for one in targets]
    await uow.sessions.put_many(cancelled)
    await uow.commit()
    return next((c for c in cancelled if c.session_id == session_id), session)


async def report_attendance(
    session_id: str, body: ReportAttendance, caller: Principal, uow: SchedulingUnitOfWork
) -> Session:
    session = await get_session(session_id, uow)
    side = side_of(caller, session)
    if side is None:
        raise Forbidden("attendance is reported by the pair's mentor or mentee")
    now = uow.clock.now()
    report = AttendanceReport(outcome=body.outcome, minutes=body.minutes, reported_at=now)
    with as_conflict():
        updated = session.report(side, report, now)
    if updated is not session:
        await uow.sessions.put(updated)
        await uow.commit()
    return updated
