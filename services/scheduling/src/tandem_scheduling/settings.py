"""Scheduling settings: environment variables prefixed `TANDEM_SCHEDULING_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import ServiceSettings


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_SCHEDULING_", env_nested_delimiter="__")

    service_name: str = "scheduling"
    default_http_port: ClassVar[int] = 8082
