"""Feedback settings: environment variables prefixed `TANDEM_FEEDBACK_`."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_contracts.anonymity import DEFAULT_THRESHOLD, MIN_THRESHOLD
from tandem_servicekit.settings import ServiceSettings


class FeedbackRules(BaseModel):
    """`TANDEM_FEEDBACK_RULES__<NAME>`."""

    anonymity_threshold: int = Field(
        default=DEFAULT_THRESHOLD,
        ge=MIN_THRESHOLD,
        le=1000,
        description="A figure from fewer people's answers is never shown",
    )
    remind_after_hours: float = Field(
        default=48, gt=0, le=24 * 60, description="After a held session: FeedbackReminderDue"
    )
    assessment_due_days: float = Field(
        default=14, gt=0, le=120, description="An assessment round is due this long after opening"
    )
    survey_window_days: float = Field(
        default=14, gt=0, le=59, description="How long a survey takes answers after opening"
    )
    tick_interval_s: float = Field(default=5.0, gt=0, le=300)
    tick_batch: int = Field(default=200, ge=1, le=10_000)
    close_batch: int = Field(
        default=500, ge=1, le=50_000, description="Pairs a closing program finishes per chunk"
    )
    lease_s: float = Field(default=15.0, gt=0, le=600)

    @property
    def remind_after(self) -> timedelta:
        return timedelta(hours=self.remind_after_hours)

    @property
    def assessment_due(self) -> timedelta:
        return timedelta(days=self.assessment_due_days)

    @property
    def survey_window(self) -> timedelta:
        return timedelta(days=self.survey_window_days)


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_FEEDBACK_", env_nested_delimiter="__")

    service_name: str = "feedback"
    default_http_port: ClassVar[int] = 8083
    rules: FeedbackRules = FeedbackRules()
