"""The feedback ticker: servicekit's leased ticker running the feedback jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tandem_feedback.adapters.unit_of_work import MongoFeedbackUnitOfWork
from tandem_feedback.service.ticker import tick
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.ticker import register_ticker


def register(runtime: ServiceRuntime[MongoFeedbackUnitOfWork], rules: FeedbackRules) -> None:
    async def run_pass(still_ours: Callable[[], Awaitable[bool]]) -> dict[str, int]:
        return await tick(runtime.unit_of_work, rules, still_ours=still_ours)

    register_ticker(runtime, run_pass, interval_s=rules.tick_interval_s, lease_s=rules.lease_s)
