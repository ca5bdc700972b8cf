"""Wires the pairing service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_pairing.adapters.repositories import ensure_indexes
from tandem_pairing.adapters.unit_of_work import MongoPairingUnitOfWork
from tandem_pairing.entrypoints import http, subscribers
from tandem_pairing.entrypoints.run_worker import MatchingRunWorker
from tandem_pairing.entrypoints.warmup import EngineWarmup
from tandem_pairing.settings import PairingSettings
from tandem_servicekit.clock import Clock
from tandem_servicekit.runtime import ServiceRuntime


def build_app(settings: PairingSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or PairingSettings()
    runtime = ServiceRuntime(settings, MongoPairingUnitOfWork, indexes=ensure_indexes, clock=clock)
    subscribers.register(runtime)
    if settings.matching.warm_on_start:
        warmup = EngineWarmup(settings.matching.warm_timeout_s)
        runtime.background(warmup.run)
        runtime.ready_when("matching_engine", warmup.ready)
    worker = MatchingRunWorker(runtime.unit_of_work, runtime.registry)
    runtime.background(worker.run)
    app = runtime.http_app(
        http.router(),
        title="Tandem pairing",
        description="Employee projection, programs, enrollment, matching and the pair lifecycle.",
    )
    app.state.matching_runs = worker
    return app
