"""Metrics settings: environment variables prefixed `TANDEM_METRICS_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_contracts.anonymity import DEFAULT_THRESHOLD, MIN_THRESHOLD
from tandem_servicekit.settings import ServiceSettings


class MetricsRules(BaseModel):
    """`TANDEM_METRICS_RULES__<NAME>`."""

    anonymity_threshold: int = Field(
        default=DEFAULT_THRESHOLD,
        ge=MIN_THRESHOLD,
        le=1000,
        description="A figure from fewer people's answers is never shown",
    )
    refresh_s: float = Field(
        default=15.0, gt=0, le=3600, description="How often the Prometheus KPIs are recomputed"
    )


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_METRICS_", env_nested_delimiter="__")

    service_name: str = "metrics"
    default_http_port: ClassVar[int] = 8084
    rules: MetricsRules = MetricsRules()
