"""Scheduling settings: environment variables prefixed `TANDEM_SCHEDULING_`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_scheduling.domain.placement import whole_minute
from tandem_scheduling.domain.sessions import Timing
from tandem_servicekit.settings import ServiceSettings


class SchedulingRules(BaseModel):
    """`TANDEM_SCHEDULING_RULES__<NAME>`."""

    horizon_days: int = Field(default=28, ge=1, le=366, description="Sessions published ahead")
    buffer_minutes: int = Field(
        default=10, ge=0, le=120, description="Kept free between two sessions of one person"
    )
    min_notice_hours: float = Field(
        default=24, ge=0, le=24 * 14, description="A newly placed session starts no sooner"
    )
    remind_before_hours: float = Field(default=24, gt=0, le=24 * 14)
    confirm_within_hours: float = Field(
        default=48, gt=0, le=24 * 60, description="After the end; then unconfirmed = missed"
    )
    tick_interval_s: float = Field(
        default=5.0, gt=0, le=300, description="Reminders, expiry and the horizon need no finer"
    )
    tick_batch: int = Field(default=200, ge=1, le=10_000)
    close_batch: int = Field(
        default=2_000, ge=1, le=50_000, description="Sessions a closing program cancels per chunk"
    )
    lease_s: float = Field(default=15.0, gt=0, le=600)

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.horizon_days)

    @property
    def buffer(self) -> timedelta:
        return timedelta(minutes=self.buffer_minutes)

    def earliest_start(self, now: datetime) -> datetime:
        """The first instant a session placed now may start: after the notice, on a minute."""
        return whole_minute(now + timedelta(hours=self.min_notice_hours))

    @property
    def timing(self) -> Timing:
        return Timing(
            remind_before=timedelta(hours=self.remind_before_hours),
            confirm_within=timedelta(hours=self.confirm_within_hours),
        )


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_SCHEDULING_", env_nested_delimiter="__")

    service_name: str = "scheduling"
    default_http_port: ClassVar[int] = 8082
    rules: SchedulingRules = SchedulingRules()
