"""Pairing settings: environment variables prefixed `TANDEM_PAIRING_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import HttpSettings, MongoSettings, ServiceSettings


class PairingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_PAIRING_", env_nested_delimiter="__")

    service_name: str = "pairing"
    mongo: MongoSettings = MongoSettings(database="tandem_pairing")
    http: HttpSettings = HttpSettings(port=8081)
