"""Scheduling settings: environment variables prefixed `TANDEM_SCHEDULING_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import HttpSettings, MongoSettings, ServiceSettings


class SchedulingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_SCHEDULING_", env_nested_delimiter="__")

    service_name: str = "scheduling"
    mongo: MongoSettings = MongoSettings(database="tandem_scheduling")
    http: HttpSettings = HttpSettings(port=8082)
