"""How the end of a pair, a program or an employment reaches the calendar: every session
still to come is cancelled (one SessionCancelled each) and nothing more is planned."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tandem_contracts.events import (
    EmployeeDeparted,
    PairEnded,
    PairEndReason,
    ProgramClosed,
    ProgramOpened,
)
from tandem_contracts.events.scheduling import CancellationReason
from tandem_scheduling.domain.programs import Program
from tandem_scheduling.domain.sessions import Session
from tandem_scheduling.service.ports import SchedulingUnitOfWork

END_REASONS = {
    PairEndReason.PARTICIPANT_DEPARTED: CancellationReason.PARTICIPANT_DEPARTED,
    # Only a program's close completes pairs: its sessions are cancelled for the close,
    # whether the close or the pair's end is read first.
    PairEndReason.COMPLETED: CancellationReason.PROGRAM_CLOSED,
}


async def on_program_opened(event: ProgramOpened, uow: SchedulingUnitOfWork) -> None:
    known = await uow.programs.get(event.program_id)
    program = known or Program(program_id=event.program_id)
    erased = await uow.erased_among(event.manager_ids)  # a replayed event names them again
    managers = tuple(m for m in event.manager_ids if m not in erased)
    await uow.programs.put(program.model_copy(update={"manager_ids": managers}))


async def on_program_closed(event: ProgramClosed, uow: SchedulingUnitOfWork, chunk: int) -> None:
    """Marks the program closed and cancels its first `chunk` sessions at once (all of a small
    program's); the ticker cancels the rest of a large one in further chunks (a 50,000-pair
    program has too many for one transaction)."""
    known = await uow.programs.get(event.program_id)
    program = (known or Program(program_id=event.program_id)).close(event.closed_at)
    await uow.programs.put(program)
    if program.winding_down:
        await wind_down(program, uow, chunk)


async def wind_down(program: Program, uow: SchedulingUnitOfWork, limit: int) -> bool:
    """One chunk of a closed program's remaining series and sessions; True when done."""
    closed_at = program.closed_at or uow.clock.now()
    series = await uow.series.of_program(program.program_id, limit)
    await uow.series.put_many(s.end() for s in series)
    sessions = await uow.sessions.upcoming_of_program(program.program_id, closed_at, limit)
    await _cancel(sessions, CancellationReason.PROGRAM_CLOSED, uow, since=closed_at)
    done = len(series) < limit and len(sessions) < limit
    if done:
        await uow.programs.put(program.model_copy(update={"winding_down": False}))
    return done


async def on_pair_ended(event: PairEnded, uow: SchedulingUnitOfWork) -> None:
    series = await uow.series.of_pair(event.pair_id)
    ending = series.pair(event.pair_id) if series is not None else None
    if series is not None and ending is not None and ending.active:
        await uow.series.put(series.without_pair(event.pair_id))
    reason = END_REASONS.get(event.reason, CancellationReason.PAIR_ENDED)
    upcoming = await uow.sessions.upcoming_of_pair(event.pair_id, event.ended_at)
    await _cancel(upcoming, reason, uow, since=event.ended_at)


async def on_departures(events: Iterable[EmployeeDeparted], uow: SchedulingUnitOfWork) -> None:
    """A departed person's sessions end at once (pairing ends their pairs too; whichever
    arrives first cancels, the other finds nothing left)."""
    now = uow.clock.now()
    leaving = {e.employee_id: e for e in events}
    if not leaving:
        return
    for running in await uow.series.of_people(leaving):
        if running.mentor.employee_id in leaving:
            await uow.series.put(running.end())  # no series without its mentor
            continue
        remaining = running
        for pair in running.active_pairs:
            if pair.mentee.employee_id in leaving:
                remaining = remaining.without_pair(pair.pair_id)
        await uow.series.put(remaining)
    sessions = await uow.sessions.upcoming_for(leaving, now)
    await _cancel(sessions, CancellationReason.PARTICIPANT_DEPARTED, uow, since=now)


async def _cancel(
    sessions: Iterable[Session],
    reason: CancellationReason,
    uow: SchedulingUnitOfWork,
    *,
    since: datetime,
) -> None:
    """Cancel those of `sessions` that start after `since` and are still scheduled."""
    now = uow.clock.now()
    cancelled = [s.cancel(reason, now, since=since) for s in sessions if s.is_upcoming(since)]
    await uow.sessions.put_many(cancelled)
