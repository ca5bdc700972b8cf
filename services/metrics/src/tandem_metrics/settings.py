"""Metrics settings: environment variables prefixed `TANDEM_METRICS_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import HttpSettings, MongoSettings, ServiceSettings


class MetricsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_METRICS_", env_nested_delimiter="__")

    service_name: str = "metrics"
    mongo: MongoSettings = MongoSettings(database="tandem_metrics")
    http: HttpSettings = HttpSettings(port=8084)
