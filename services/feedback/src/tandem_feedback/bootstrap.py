"""Wires the feedback service together: the one place its dependencies are assembled."""

from __future__ import annotations

from fastapi import FastAPI

from tandem_feedback.settings import FeedbackSettings
from tandem_servicekit.privacy import subscribe_erasure
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.uow import MongoUnitOfWork


def build_app(settings: FeedbackSettings | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings or FeedbackSettings(), MongoUnitOfWork)
    subscribe_erasure(runtime)  # holds no personal data yet: confirms at once
    return runtime.http_app(
        title="Tandem feedback",
        description="Feedback after sessions, competence assessments and surveys.",
    )
