"""HTTP API of the scheduling service (thin: parse, call a use case, answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from tandem_scheduling.adapters.ical import person_calendar
from tandem_scheduling.service import changes, views
from tandem_scheduling.service.access import require_self
from tandem_scheduling.service.commands import Cancel, ReportAttendance, Reschedule
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.service.views import SessionView, of_session
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.http import Caller, PagingQuery, PathId, unit_of_work
from tandem_servicekit.repository import Page

Work = Annotated[SchedulingUnitOfWork, Depends(unit_of_work)]
ICS = "text/calendar; charset=utf-8"


def router(rules: SchedulingRules) -> APIRouter:
    api = APIRouter(tags=["sessions"])

    @api.get("/sessions/{session_id}")
    async def get_session(session_id: PathId, caller: Caller, work: Work) -> SessionView:
        return await views.session(session_id, caller, work)

    @api.post("/sessions/{session_id}/reschedule")
    async def reschedule(
        session_id: PathId, body: Reschedule, caller: Caller, work: Work
    ) -> SessionView:
        """Move a scheduled session (a group meeting moves as a whole): the new time must lie
        inside every member's availability and clear of their other sessions, else 409."""
        return of_session(await changes.reschedule(session_id, body, caller, work, rules))

    @api.post("/sessions/{session_id}/cancel")
    async def cancel(session_id: PathId, body: Cancel, caller: Caller, work: Work) -> SessionView:
        """Cancel a session still to come; cancelling again answers the cancelled session."""
        return of_session(await changes.cancel(session_id, body, caller, work))

    @api.post("/sessions/{session_id}/attendance")
    async def report_attendance(
        session_id: PathId, body: ReportAttendance, caller: Caller, work: Work
    ) -> SessionView:
        """The caller's account (mentor or mentee): `held` with minutes, or `partner_absent`.
        The first account decides; the same account again is a no-op; a contradicting one
        is 409."""
        return of_session(await changes.report_attendance(session_id, body, caller, work))

    @api.get("/pairs/{pair_id}/sessions")
    async def pair_sessions(
        pair_id: PathId, caller: Caller, work: Work, paging: PagingQuery
    ) -> Page[SessionView]:
        """The pair's whole series: published sessions and the planned weeks beyond the
        horizon (`planned`, `unschedulable`)."""
        return await views.pair_sessions(pair_id, paging, caller, work)

    @api.get("/people/{employee_id}/sessions")
    async def person_sessions(
        employee_id: PathId, caller: Caller, work: Work, paging: PagingQuery
    ) -> Page[SessionView]:
        return await views.person_sessions(employee_id, paging, caller, work)

    @api.get(
        "/people/{employee_id}/calendar.ics",
        response_class=Response,
        responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}}},
    )
    async def calendar(employee_id: PathId, caller: Caller, work: Work) -> Response:
        """The person's published sessions as an iCalendar feed (their own only)."""
        require_self(caller, employee_id)
        sessions = await work.sessions.of_person(employee_id)
        body = person_calendar(employee_id, sessions, work.clock.now())
        return Response(content=body, media_type=ICS)

    return api
