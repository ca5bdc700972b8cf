"""Time-driven jobs, one chunk per unit of work, until each has nothing left.

A job changes the stored state (a reminder marked sent, a window opened) in the same
transaction as the events it writes, so a chunk is applied once: a crash before the commit
repeats it, a crash after finds nothing left. After downtime the loop catches up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

U = TypeVar("U")

Job = Callable[[U], Awaitable[int]]
"""One chunk of a job in the given unit of work (committed by the job); how many it handled."""


async def _always() -> bool:
    return True


async def tick(
    new_uow: Callable[[], AbstractAsyncContextManager[U]],
    jobs: Sequence[Job[U]],
    still_ours: Callable[[], Awaitable[bool]] = _always,
) -> dict[str, int]:
    """Every job, chunk after chunk, until it has nothing left or `still_ours` (the lease,
    renewed before each chunk) says another replica has taken over; how much each did."""
    done: dict[str, int] = {}
    failed: list[BaseException] = []
    for job in jobs:
        total = 0
        try:
            while await still_ours():
                async with new_uow() as uow:
                    handled = await job(uow)
                total += handled
                if handled == 0:
                    break
        except Exception as exc:  # one failing job must not stop the others
            failed.append(exc)
        done[getattr(job, "__name__", repr(job))] = total
    if failed:
        raise TickFailed(done, failed)
    return done


class TickFailed(Exception):
    """Some jobs failed (the others ran); `done` says what was handled."""

    def __init__(self, done: dict[str, int], failures: list[BaseException]) -> None:
        super().__init__(", ".join(type(f).__name__ for f in failures))
        self.done = done
        self.failures = failures
