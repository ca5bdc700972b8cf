"""The time-driven rules, one chunk per unit of work: publish what nears the horizon, remind,
report unconfirmed sessions missed, wind down closed programs (a session's `reminder_at` is
cleared, its status set, in the transaction that writes its event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from tandem_scheduling.service.lifecycle import wind_down
from tandem_scheduling.service.planning import materialise
from tandem_scheduling.service.ports import SchedulingUnitOfWork
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit import ticking


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
    """Every scheduling job under `rules` (see servicekit's `ticking.tick`)."""
    jobs = [_bound(job, rules) for job in JOBS]
    return await ticking.tick(new_uow, jobs, still_ours)


def _bound(job: Job, rules: SchedulingRules) -> ticking.Job[SchedulingUnitOfWork]:
    async def chunk(uow: SchedulingUnitOfWork) -> int:
        return await job(uow, rules)

    chunk.__name__ = job.__name__
    return chunk
