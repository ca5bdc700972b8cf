"""Metrics settings: environment variables prefixed `TANDEM_METRICS_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import ServiceSettings


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_METRICS_", env_nested_delimiter="__")

    service_name: str = "metrics"
    default_http_port: ClassVar[int] = 8084
