"""Listings: the full series of a pair or a person, published sessions and planned weeks
alike (the horizon limits what goes on Kafka, not what people can see)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel

from tandem_contracts.events.scheduling import (
    CancellationReason,
    MissCause,
    MissedBy,
    UnschedulableReason,
)
from tandem_contracts.values import ProgramFormat
from tandem_scheduling.domain.series import PlannedWeek, Series
from tandem_scheduling.domain.sessions import Session, meeting_id, session_id
from tandem_scheduling.service.access import require_member_or_manager
from tandem_scheduling.service.lookups import get_series_of_pair, get_session
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_servicekit.auth import PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.errors import Forbidden
from tandem_servicekit.repository import Page, Paging


class ViewStatus(StrEnum):
    PLANNED = "planned"
    """Placed, not yet published (beyond the horizon); may still move."""
    UNSCHEDULABLE = "unschedulable"
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"
    MISSED = "missed"


class SessionView(BaseModel):
    session_id: str
    pair_id: str
    program_id: str
    meeting_id: str | None
    format: ProgramFormat
    sequence: int
    status: ViewStatus
    starts_at: datetime | None
    ends_at: datetime | None
    mentor_id: str
    mentee_id: str
    revision: int = 0
    week_starts_on: date | None = None
    unschedulable_reason: UnschedulableReason | None = None
    cancel_reason: CancellationReason | None = None
    cancel_note: str | None = None
    held_minutes: int | None = None
    missed_by: MissedBy | None = None
    miss_cause: MissCause | None = None


def of_session(session: Session) -> SessionView:
    return SessionView(
        session_id=session.session_id,
        pair_id=session.pair_id,
        program_id=session.program_id,
        meeting_id=session.meeting_id,
        format=session.format,
        sequence=session.sequence,
        status=ViewStatus(session.status.value),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        mentor_id=session.mentor_id,
        mentee_id=session.mentee_id,
        revision=session.revision,
        cancel_reason=session.cancel_reason,
        cancel_note=session.cancel_note,
        held_minutes=session.held_minutes,
        missed_by=session.missed_by,
        miss_cause=session.miss_cause,
    )


def _planned(series: Series, week: PlannedWeek) -> list[SessionView]:
    views = []
    reasons = {u.pair_id: u.reason for u in week.unplaced}
    for pair in series.active_pairs:
        placed = pair.pair_id in week.pair_ids
        if not placed and pair.pair_id not in reasons:
            continue
        views.append(
            SessionView(
                session_id=session_id(pair.pair_id, week.sequence),
                pair_id=pair.pair_id,
                program_id=series.program_id,
                meeting_id=meeting_id(series.series_id, week.sequence) if series.together else None,
                format=series.format,
                sequence=week.sequence,
                status=ViewStatus.PLANNED if placed else ViewStatus.UNSCHEDULABLE,
                starts_at=week.starts_at if placed else None,
                ends_at=week.ends_at if placed else None,
                mentor_id=series.mentor.employee_id,
                mentee_id=pair.mentee.employee_id,
                week_starts_on=week.first,
                unschedulable_reason=reasons.get(pair.pair_id),
            )
        )
    return views


def _reported(series: Series, pair_id: str | None = None) -> list[SessionView]:
    """Published weeks in which a pair got no session (they stay visible to the manager)."""
    mentees = {p.pair_id: p.mentee.employee_id for p in series.pairs}
    return [
        SessionView(
            session_id=session_id(r.pair_id, r.sequence),
            pair_id=r.pair_id,
            program_id=series.program_id,
            meeting_id=meeting_id(series.series_id, r.sequence) if series.together else None,
            format=series.format,
            sequence=r.sequence,
            status=ViewStatus.UNSCHEDULABLE,
            starts_at=None,
            ends_at=None,
            mentor_id=series.mentor.employee_id,
            mentee_id=mentees.get(r.pair_id, ""),
            week_starts_on=r.first,
            unschedulable_reason=r.reason,
        )
        for r in series.reported
        if pair_id is None or r.pair_id == pair_id
    ]


def _sorted_page(views: list[SessionView], paging: Paging) -> Page[SessionView]:
    views.sort(key=lambda v: (v.sequence, v.starts_at is None, v.starts_at, v.pair_id))
    return Page(total=len(views), items=views[paging.skip : paging.skip + paging.limit])


async def session(session_id: str, caller: Principal, uow: SchedulingUnitOfWork) -> SessionView:
    found = await get_session(session_id, uow)
    program = await uow.programs.get(found.program_id)
    require_member_or_manager(caller, found.participants, program)
    return of_session(found)


async def pair_sessions(
    pair_id: str, paging: Paging, caller: Principal, uow: SchedulingUnitOfWork
) -> Page[SessionView]:
    series = await get_series_of_pair(pair_id, uow)
    pair = series.pair(pair_id)
    members = (series.mentor.employee_id, pair.mentee.employee_id if pair else "")
    require_member_or_manager(caller, members, await uow.programs.get(series.program_id))
    views = [of_session(s) for s in await uow.sessions.of_pair(pair_id)]
    views += _reported(series, pair_id)
    views += [v for w in series.planned for v in _planned(series, w) if v.pair_id == pair_id]
    return _sorted_page(views, paging)


async def person_sessions(
    employee_id: str, paging: Paging, caller: Principal, uow: SchedulingUnitOfWork
) -> Page[SessionView]:
    """Everything for the person themselves; a program manager sees the sessions of the
    programs they manage; anyone else is refused."""
    visible = await _visible_programs(employee_id, caller, uow)
    views = [
        of_session(s)
        for s in await uow.sessions.of_person(employee_id)
        if visible is None or s.program_id in visible
    ]
    for series in await uow.series.of_people([employee_id]):
        if visible is not None and series.program_id not in visible:
            continue
        extra = _reported(series) + [v for w in series.planned for v in _planned(series, w)]
        views += [v for v in extra if employee_id in (v.mentor_id, v.mentee_id)]
    return _sorted_page(views, paging)


async def _visible_programs(
    employee_id: str, caller: Principal, uow: SchedulingUnitOfWork
) -> set[str] | None:
    """None: everything (the person themselves); else the programs the caller manages."""
    if caller.has(PARTICIPANT) and caller.employee_id == employee_id:
        return None
    managed = await uow.programs.managed_by(caller.employee_id)
    if caller.has(PROGRAM_MANAGER) and managed:
        return managed
    raise Forbidden("a person's sessions are for them and their programs' managers")
