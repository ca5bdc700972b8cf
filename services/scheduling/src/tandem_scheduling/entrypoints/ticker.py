"""The in-service ticker: every `tick_interval_s`, the replica holding the lease runs the
time-driven jobs on the injected clock (the system clock in production)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import timedelta

from tandem_scheduling.adapters.lease import Lease
from tandem_scheduling.adapters.unit_of_work import MongoSchedulingUnitOfWork
from tandem_scheduling.service.ticker import tick
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.logging import get_logger
from tandem_servicekit.runtime import ServiceRuntime

log = get_logger("tandem.scheduling.ticker")


def register(runtime: ServiceRuntime[MongoSchedulingUnitOfWork], rules: SchedulingRules) -> None:
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    lease = Lease(runtime.db, "scheduling-ticker", owner, timedelta(seconds=rules.lease_s))

    async def run() -> None:
        while True:
            try:
                if await lease.acquire():
                    done = await tick(runtime.unit_of_work, rules, still_ours=lease.acquire)
                    if any(done.values()):
                        log.info("ticker ran", **done)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next tick retries; nothing was committed half-way
                log.warning("ticker failed", error_class=type(exc).__name__)
            await asyncio.sleep(rules.tick_interval_s)

    runtime.background(run)
