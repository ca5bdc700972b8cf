"""Wires the scheduling service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_scheduling.settings import SchedulingSettings
from tandem_servicekit.privacy import subscribe_erasure
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.uow import MongoUnitOfWork


def build_app(settings: SchedulingSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or SchedulingSettings(), MongoUnitOfWork)
    subscribe_erasure(runtime)  # holds no personal data yet: confirms at once
    return runtime.http_app(
        title="Tandem scheduling",
        description="Weekly sessions of at most 60 minutes inside both people's availability.",
    )
