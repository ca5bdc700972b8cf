"""The time-driven rules, one chunk per unit of work: finish closed programs' pairs, open
assessment rounds and surveys that have come due, report overdue rounds, remind about missing
session feedback. Each item's `wake_at` moves on in the transaction that writes its event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, TypeVar

from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.service.pairs import open_due_rounds, open_due_surveys, wind_down
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit import ticking

W = TypeVar("W", bound=Any)
CLOSING_AT_ONCE = 100
"""Closed programs looked at per chunk (each settles, or finishes `close_batch` pairs)."""


def _settled(before: list[W], after: Iterable[W], now: datetime) -> list[W]:
    """The items a job changed. Whatever it looked at never wakes it again for the same
    instant, and an item it could not act on yet (stored times are compared to the millisecond,
    kept to the microsecond) is not counted, so a chunk loop always ends."""
    settled = [
        i.model_copy(update={"wake_at": None}) if i.wake_at is not None and i.wake_at <= now else i
        for i in after
    ]
    return [new for old, new in zip(before, settled, strict=True) if new != old]


async def wind_down_closed(uow: FeedbackUnitOfWork, rules: FeedbackRules) -> int:
    changed = 0
    for program in await uow.programs.closing(CLOSING_AT_ONCE):
        changed += await wind_down(program, uow, rules)
    await uow.commit()
    return changed


async def advance_rounds(uow: FeedbackUnitOfWork, rules: FeedbackRules) -> int:
    now = uow.clock.now()
    due = await uow.rounds.due(now, rules.tick_batch)
    opened = open_due_rounds(due, now, rules)
    reported = [r.report_overdue(now) if r.status is WindowStatus.OPEN else r for r in opened]
    changed = _settled(due, reported, now)
    await uow.rounds.put_many(changed)
    await uow.commit()
    return len(changed)


async def open_surveys(uow: FeedbackUnitOfWork, rules: FeedbackRules) -> int:
    now = uow.clock.now()
    due = await uow.surveys.due(now, rules.tick_batch)
    changed = _settled(due, open_due_surveys(due, now), now)
    await uow.surveys.put_many(changed)
    await uow.commit()
    return len(changed)


async def remind_feedback(uow: FeedbackUnitOfWork, rules: FeedbackRules) -> int:
    now = uow.clock.now()
    due = await uow.sessions.due(now, rules.tick_batch)
    changed = _settled(due, [s.remind(now) for s in due], now)
    await uow.sessions.put_many(changed)
    await uow.commit()
    return len(changed)


Job = Callable[[FeedbackUnitOfWork, FeedbackRules], Awaitable[int]]
JOBS: tuple[Job, ...] = (wind_down_closed, advance_rounds, open_surveys, remind_feedback)


async def _always() -> bool:
    return True


async def tick(
    new_uow: Callable[[], AbstractAsyncContextManager[FeedbackUnitOfWork]],
    rules: FeedbackRules,
    still_ours: Callable[[], Awaitable[bool]] = _always,
) -> dict[str, int]:
    """Every feedback job under `rules` (see servicekit's `ticking.tick`)."""
    return await ticking.tick(new_uow, [_bound(job, rules) for job in JOBS], still_ours)


def _bound(job: Job, rules: FeedbackRules) -> ticking.Job[FeedbackUnitOfWork]:
    async def chunk(uow: FeedbackUnitOfWork) -> int:
        return await job(uow, rules)

    chunk.__name__ = job.__name__
    return chunk
