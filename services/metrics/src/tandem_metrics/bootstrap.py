"""Wires the metrics service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_metrics.adapters.facts import ensure_indexes
from tandem_metrics.adapters.unit_of_work import MongoMetricsUnitOfWork
from tandem_metrics.entrypoints import http, prometheus, subscribers
from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.clock import Clock
from tandem_servicekit.runtime import ServiceRuntime


def build_app(settings: MetricsSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or MetricsSettings()
    runtime = ServiceRuntime(settings, MongoMetricsUnitOfWork, indexes=ensure_indexes, clock=clock)
    subscribers.register(runtime)
    prometheus.register(runtime, settings.rules)
    return runtime.http_app(
        http.router(settings.rules),
        title="Tandem metrics",
        description="Program KPIs from every event, exposed to Prometheus and as a JSON report.",
    )
