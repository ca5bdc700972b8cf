"""Shutdown steps that end on time even when what they wait for ignores cancellation.

`asyncio.wait_for` (and `asyncio.timeout`) cancel the step at the deadline and then wait for it
to finish. A step that swallows the cancellation (aiokafka's group coordinator lets its
coordination task finish its pending work, then leaves the group, on a broker that may not
answer) keeps the caller waiting anyway: in-process services were seen hanging 300 s in stop.
These helpers stop waiting at the deadline and leave the step cancelled behind them: the stop
goes on (the broker, the relay, the database client each get their turn). A step left behind
may still delay the end of the process, since `asyncio.run` cancels and awaits what is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any

from tandem_servicekit.logging import get_logger

log = get_logger("tandem.shutdown")


async def bounded(what: str, step: Awaitable[Any], timeout_s: float) -> bool:
    """Await `step` for at most `timeout_s`; True when it finished in time (its exception, if
    any, is raised), False when it was cancelled and left behind."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if done:
        task.result()
        return True
    _abandon(task)
    log.warning("shutdown step timed out, going on", step=what, timeout_s=timeout_s)
    return False


async def cancelled(what: str, tasks: Iterable[asyncio.Task[Any]], timeout_s: float) -> bool:
    """Cancel `tasks` and give them `timeout_s` to unwind; True when all have ended, False when
    some were left behind still running."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    pending = [t for t in tasks if not t.done()]
    stuck: set[asyncio.Task[Any]] = set()
    if pending:
        _, stuck = await asyncio.wait(pending, timeout=timeout_s)
    for task in tasks:
        if task in stuck:
            _abandon(task)
        elif not task.cancelled():
            task.exception()  # read: a failure before the stop is no news at the stop
    if stuck:
        log.warning("tasks did not stop in time, going on", step=what, tasks=len(stuck))
    return not stuck


def _abandon(task: asyncio.Future[Any]) -> None:
    task.cancel()
    # Whatever it ends with later is nobody's business: don't let asyncio report it unread.
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
