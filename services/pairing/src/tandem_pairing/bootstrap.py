"""Wires the pairing service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_pairing.settings import PairingSettings
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.uow import MongoUnitOfWork


def build_runtime(settings: PairingSettings) -> ServiceRuntime[MongoUnitOfWork]:
    return ServiceRuntime(settings, MongoUnitOfWork)


def build_app(settings: PairingSettings | None = None) -> FastAPI:
    settings = settings or PairingSettings()
    runtime = build_runtime(settings)
    app = runtime.http_app(
        title="Tandem pairing",
        description="Employee projection, programs, enrollment, matching and the pair lifecycle.",
    )
    app.state.runtime = runtime
    return app
