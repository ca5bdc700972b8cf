"""The time-driven rules, one chunk per unit of work: publish what nears the horizon, remind,
report unconfirmed sessions missed, wind down closed programs.

Each chunk changes the stored state (a session's `reminder_at` cleared, its status set) in the
same transaction as the events it writes, so a chunk is applied once: a crash before the
commit repeats it, a crash after finds nothing left. After downtime the loop catches up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from tandem_scheduling.service.lifecycle import wind_down
from tandem_scheduling.service.planning import materialise
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules


async def publish_due(uow: SchedulingUnitOfWork, rules: SchedulingRules) -> int:
    now = uow.clock.now()
    series = await uow.series.due(now + rules.horizon, rules.tick_batch)
    await materialise(series, uow, rules)
    await uow.commit()
    return len(series)


async def send_reminders(uow: SchedulingUnitOfWork, rules: SchedulingRules) -> int:
    now = uow.clock.now()
    due = await uow.sessions.reminders_due(now, rules.tick_batch)
    await uow.sessions.put_many(s.remind(now) for s in due)
    await uow.commit()
    return len(due)


async def report_unconfirmed(uow: SchedulingUnitOfWork, rules: SchedulingRules) -> int:
    now = uow.clock.now()
    overdue = await uow.sessions.unconfirmed(now, rules.tick_batch)
    await uow.sessions.put_many(s.expire(now) for s in overdue)
    await uow.commit()
    return len(overdue)


async def wind_down_closed(uow: SchedulingUnitOfWork, rules: SchedulingRules) -> int:
    programs = await uow.programs.closing(1)
    for program in programs:
        await wind_down(program, uow, rules.close_batch)
    await uow.commit()
    return len(programs)


Job = Callable[[SchedulingUnitOfWork, SchedulingRules], Awaitable[int]]
JOBS: tuple[Job, ...] = (wind_down_closed, publish_due, send_reminders, report_unconfirmed)


async def _always() -> bool:
    return True


async def tick(
    new_uow: Callable[[], AbstractAsyncContextManager[SchedulingUnitOfWork]],
    rules: SchedulingRules,
    still_ours: Callable[[], Awaitable[bool]] = _always,
) -> dict[str, int]:
    """Every job, chunk after chunk, until it has nothing left or `still_ours` (the lease,
    renewed before each chunk) says another replica has taken over; how much each did."""
    done: dict[str, int] = {}
    failed: list[BaseException] = []
    for job in JOBS:
        total = 0
        try:
            while await still_ours():
                async with new_uow() as uow:
                    handled = await job(uow, rules)
                total += handled
                if handled == 0:
                    break
        except Exception as exc:  # one failing job must not stop the others
            failed.append(exc)
        done[job.__name__] = total
    if failed:
        raise TickFailed(done, failed)
    return done


class TickFailed(Exception):
    """Some jobs failed (the others ran); `done` says what was handled."""

    def __init__(self, done: dict[str, int], failures: list[BaseException]) -> None:
        super().__init__(", ".join(type(f).__name__ for f in failures))
        self.done = done
        self.failures = failures
