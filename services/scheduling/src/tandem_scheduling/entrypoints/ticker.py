"""The in-service ticker: every `tick_interval_s`, the replica holding the lease runs the
time-driven jobs on the injected clock (the system clock in production)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from datetime import timedelta

from prometheus_client import Counter, Gauge

from tandem_scheduling.adapters.lease import Lease
from tandem_scheduling.adapters.unit_of_work import MongoSchedulingUnitOfWork
from tandem_scheduling.service.ticker import TickFailed, tick
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.logging import get_logger
from tandem_servicekit.runtime import ServiceRuntime

log = get_logger("tandem.scheduling.ticker")


def register(runtime: ServiceRuntime[MongoSchedulingUnitOfWork], rules: SchedulingRules) -> None:
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease = Lease(runtime.db, "scheduling-ticker", owner, timedelta(seconds=rules.lease_s))
    ticks = Counter(
        "tandem_scheduling_ticks_total",
        "Ticker passes this replica completed while holding the lease",
        registry=runtime.registry,
    )
    failures = Counter(
        "tandem_scheduling_tick_failures_total",
        "Ticker passes that failed (retried on the next tick)",
        registry=runtime.registry,
    )
    handled = Counter(
        "tandem_scheduling_ticker_handled_total",
        "Series published, reminders sent, sessions expired, programs wound down",
        ["job"],
        registry=runtime.registry,
    )
    last = Gauge(
        "tandem_scheduling_ticker_last_success_timestamp_seconds",
        "When this replica last completed a ticker pass",
        registry=runtime.registry,
    )

    async def run() -> None:
        try:
            while True:
                await one_pass()
                await asyncio.sleep(rules.tick_interval_s)
        finally:  # shutting down: hand the lease over at once
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(lease.release()), 2.0)

    async def one_pass() -> None:
        try:
            if await lease.acquire():
                done = await tick(runtime.unit_of_work, rules, still_ours=lease.acquire)
                for job, count in done.items():
                    handled.labels(job).inc(count)
                ticks.inc()
                last.set_to_current_time()
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
