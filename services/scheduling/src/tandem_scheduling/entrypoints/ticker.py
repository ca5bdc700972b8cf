"""The scheduling ticker: servicekit's leased ticker running the scheduling jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tandem_scheduling.adapters.unit_of_work import MongoSchedulingUnitOfWork
from tandem_scheduling.service.ticker import tick
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.ticker import register_ticker


def register(runtime: ServiceRuntime[MongoSchedulingUnitOfWork], rules: SchedulingRules) -> None:
    async def run_pass(still_ours: Callable[[], Awaitable[bool]]) -> dict[str, int]:
        return await tick(runtime.unit_of_work, rules, still_ours=still_ours)

    register_ticker(runtime, run_pass, interval_s=rules.tick_interval_s, lease_s=rules.lease_s)
