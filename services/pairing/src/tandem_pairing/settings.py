"""Pairing settings: environment variables prefixed `TANDEM_PAIRING_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import ServiceSettings


class PairingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_PAIRING_", env_nested_delimiter="__")

    service_name: str = "pairing"
    default_http_port: ClassVar[int] = 8081
