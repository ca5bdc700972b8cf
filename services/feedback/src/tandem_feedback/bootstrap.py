"""Wires the feedback service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_feedback.adapters.repositories import ensure_indexes
from tandem_feedback.adapters.unit_of_work import MongoFeedbackUnitOfWork
from tandem_feedback.entrypoints import http, subscribers, ticker
from tandem_feedback.settings import FeedbackSettings
from tandem_servicekit.clock import Clock
from tandem_servicekit.runtime import ServiceRuntime


def build_app(settings: FeedbackSettings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or FeedbackSettings()
    runtime = ServiceRuntime(settings, MongoFeedbackUnitOfWork, indexes=ensure_indexes, clock=clock)
    subscribers.register(runtime, settings.rules)
    ticker.register(runtime, settings.rules)
    return runtime.http_app(
        http.router(settings.rules),
        title="Tandem feedback",
        description=(
            "Goals per pair, feedback from both sides after each held session, competence "
            "assessments (baseline, midpoint, final; self and partner view), MQS and NPS "
            "surveys, and reports under a k-anonymity threshold. Free text never leaves."
        ),
    )
