"""Wires the pairing service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_pairing.adapters.repositories import ensure_indexes
from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.entrypoints import http, subscribers
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.runtime import ServiceRuntime


def build_runtime(settings: PairingSettings) -> ServiceRuntime[PairingUnitOfWork]:
    runtime = ServiceRuntime(settings, PairingUnitOfWork, indexes=ensure_indexes)
    subscribers.register(runtime)
    return runtime


def build_app(settings: PairingSettings | None = None) -> FastAPI:
    settings = settings or PairingSettings()
    runtime = build_runtime(settings)
    app = runtime.http_app(
        http.router(),
        title="Tandem pairing",
        description="Employee projection, programs, enrollment, matching and the pair lifecycle.",
    )
    app.state.runtime = runtime
    app.state.unit_of_work = runtime.unit_of_work
    return app
