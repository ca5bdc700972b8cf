"""Wires the pairing service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_pairing.adapters.repositories import ensure_indexes
from tandem_pairing.adapters.unit_of_work import MongoPairingUnitOfWork
from tandem_pairing.entrypoints import http, subscribers
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.clock import Clock
from tandem_servicekit.runtime import ServiceRuntime


def build_runtime(
    settings: PairingSettings, clock: Clock | None = None
) -> ServiceRuntime[MongoPairingUnitOfWork]:
    runtime = ServiceRuntime(settings, MongoPairingUnitOfWork, indexes=ensure_indexes, clock=clock)
    subscribers.register(runtime)
    return runtime


def build_app(settings: PairingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or PairingSettings()
    runtime = build_runtime(settings, clock)
    return runtime.http_app(
        http.router(),
        title="Tandem pairing",
        description="Employee projection, programs, enrollment, matching and the pair lifecycle.",
    )
