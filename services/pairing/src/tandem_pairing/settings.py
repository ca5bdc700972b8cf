"""Pairing settings: environment variables prefixed `TANDEM_PAIRING_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field
from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import ServiceSettings


class MatchingStartup(BaseModel):
    warm_on_start: bool = Field(
        default=True,
        description="Run the engine once at start-up (loading or compiling its kernels) before "
        "/readyz turns ready, so no request waits for compilation",
    )
    warm_timeout_s: float = Field(
        default=120.0, gt=0, description="the longest readiness waits for the warm-up"
    )


class PairingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_PAIRING_", env_nested_delimiter="__")

    service_name: str = "pairing"
    default_http_port: ClassVar[int] = 8081
    matching: MatchingStartup = MatchingStartup()
