"""The busy calendar of some people, as stored: their scheduled sessions and planned meetings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tandem_scheduling.domain.calendar import BusyCalendar
from tandem_scheduling.service.ports import SchedulingUnitOfWork


async def calendar_of(
    people: Iterable[str],
    uow: SchedulingUnitOfWork,
    *,
    after: datetime,
    buffer: timedelta,
    skip_planned_of: Iterable[str] = (),
    skip_sessions: Iterable[str] = (),
) -> BusyCalendar:
    """The calendar of `people` from `after` on: their scheduled sessions and the planned
    weeks of the series they are in (without the planned weeks of the series in
    `skip_planned_of`, which the caller is about to plan again, nor the sessions in
    `skip_sessions`)."""
    wanted = sorted(set(people))
    skip_series, skip_ids = set(skip_planned_of), set(skip_sessions)
    calendar = BusyCalendar(buffer)
    for session in await uow.sessions.upcoming_for(wanted, after - buffer):
        if session.session_id in skip_ids:
            continue
        for person in session.participants:
            calendar.add(person, session.span)
    for one in await uow.series.of_people(wanted):
        if one.series_id not in skip_series:
            calendar.add_all(one.planned_busy())
    return calendar
