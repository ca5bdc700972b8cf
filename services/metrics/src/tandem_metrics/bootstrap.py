"""Wires the metrics service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.privacy import subscribe_erasure
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.uow import MongoUnitOfWork


def build_app(settings: MetricsSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or MetricsSettings(), MongoUnitOfWork)
    subscribe_erasure(runtime)  # holds no personal data yet: confirms at once
    return runtime.http_app(
        title="Tandem metrics",
        description="Program KPIs from every event, exposed to Prometheus and as a JSON report.",
    )
