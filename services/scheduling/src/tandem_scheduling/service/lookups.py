"""Finding what a request addresses, and turning domain refusals into HTTP answers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tandem_scheduling.domain.errors import SessionStateError, SlotConflict
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_servicekit.errors import Conflict, NotFound


@contextmanager
def as_conflict() -> Iterator[None]:
    try:
        yield
    except (SessionStateError, SlotConflict) as exc:
        raise Conflict(str(exc)) from exc


async def get_session(session_id: str, uow: SchedulingUnitOfWork) -> Session:
    session = await uow.sessions.get(session_id)
    if session is None:
        raise NotFound(
            f"no scheduled session {session_id} (planned sessions can be changed once they are "
            "published, a horizon ahead)"
        )
    return session


async def get_series_of_pair(pair_id: str, uow: SchedulingUnitOfWork) -> Series:
    series = await uow.series.of_pair(pair_id)
    if series is None:
        raise NotFound(f"no pair {pair_id} is known to scheduling")
    return series
