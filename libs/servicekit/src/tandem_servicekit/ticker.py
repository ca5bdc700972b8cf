"""The in-service ticker: every `interval_s`, the replica holding the lease runs a service's
time-driven jobs (see `ticking.tick`) on the injected clock (the system clock in production)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge

from tandem_servicekit.clock import Clock, SimulatedClock
from tandem_servicekit.lease import Lease
from tandem_servicekit.logging import get_logger
from tandem_servicekit.ticking import TickFailed

log = get_logger("tandem.ticker")

Pass = Callable[[Callable[[], Awaitable[bool]]], Awaitable[dict[str, int]]]
"""One pass over every job, given the lease check to make before each chunk."""


def register_ticker(runtime: Any, run_pass: Pass, *, interval_s: float, lease_s: float) -> None:
    """Run `run_pass` every `interval_s` on the replica holding the `<service>-ticker` lease,
    with `tandem_<service>_tick...` metrics; shutting down hands the lease over at once."""
    service = runtime.settings.service_name
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease = Lease(runtime.db, f"{service}-ticker", owner, timedelta(seconds=lease_s))
    ticks = Counter(
        f"tandem_{service}_ticks_total",
        "Ticker passes this replica completed while holding the lease",
        registry=runtime.registry,
    )
    failures = Counter(
        f"tandem_{service}_tick_failures_total",
        "Ticker passes that failed (retried on the next tick)",
        registry=runtime.registry,
    )
    handled = Counter(
        f"tandem_{service}_ticker_handled_total",
        "Items each ticker job handled",
        ["job"],
        registry=runtime.registry,
    )
    last = Gauge(
        f"tandem_{service}_ticker_last_success_timestamp_seconds",
        "When this replica last completed a ticker pass",
        registry=runtime.registry,
    )

    caught_up = Gauge(
        f"tandem_{service}_ticker_caught_up_to_timestamp_seconds",
        "The service clock's time when the last completed pass started: every time-driven "
        "rule due by then has fired",
        registry=runtime.registry,
    )

    async def run() -> None:
        try:
            while True:
                began = runtime.clock.now()
                await one_pass(began)
                await until_next_pass(runtime.clock, interval_s, since=began)
        finally:  # shutting down: hand the lease over at once
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(lease.release()), 2.0)

    async def one_pass(began: datetime) -> None:
        try:
            if await lease.acquire():
                done = await run_pass(lease.acquire)
                for job, count in done.items():
                    handled.labels(job).inc(count)
                ticks.inc()
                last.set_to_current_time()
                if await lease.acquire():  # not cut short by another replica taking over
                    caught_up.set(began.timestamp())
                if any(done.values()):
                    log.info("ticker ran", **done)
        except TickFailed as exc:  # the others ran; the next tick retries the failed ones
            for job, count in exc.done.items():
                handled.labels(job).inc(count)
            failures.inc()
            log.warning("ticker jobs failed", error_classes=str(exc))
        except Exception as exc:  # the next tick retries; nothing was committed half-way
            failures.inc()
            log.warning("ticker failed", error_class=type(exc).__name__)

    runtime.background(run)


SIMULATED_POLL_S = 0.02


async def until_next_pass(clock: Clock, interval_s: float, since: datetime | None = None) -> None:
    """`interval_s`, or less on a simulated clock: a pass starts as soon as the time differs
    from `since` (the time the last pass began; a file check every 20 ms, no database call),
    so a simulated day's rules fire without a short interval's cost in database passes."""
    if not isinstance(clock, SimulatedClock):
        await asyncio.sleep(interval_s)
        return
    was = since or clock.now()
    if clock.now() != was:
        return
    deadline = asyncio.get_running_loop().time() + interval_s
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(SIMULATED_POLL_S)
        if clock.now() != was:
            return
