"""Wires the scheduling service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_scheduling.adapters.repositories import ensure_indexes
from tandem_scheduling.adapters.unit_of_work import MongoSchedulingUnitOfWork
from tandem_scheduling.entrypoints import http, subscribers, ticker
from tandem_scheduling.settings import SchedulingSettings
from tandem_servicekit.clock import Clock
from tandem_servicekit.runtime import ServiceRuntime


def build_app(settings: SchedulingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or SchedulingSettings()
    runtime = ServiceRuntime(
        settings, MongoSchedulingUnitOfWork, indexes=ensure_indexes, clock=clock
    )
    subscribers.register(runtime, settings.rules)
    ticker.register(runtime, settings.rules)
    return runtime.http_app(
        http.router(settings.rules),
        title="Tandem scheduling",
        description=(
            "Weekly sessions of at most 60 minutes inside both people's availability: the "
            "series of each pair, rescheduling, cancellation, attendance and iCalendar feeds."
        ),
    )
