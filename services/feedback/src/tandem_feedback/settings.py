"""Feedback settings: environment variables prefixed `TANDEM_FEEDBACK_`."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_FEEDBACK_", env_nested_delimiter="__")

    service_name: str = "feedback"
    default_http_port: ClassVar[int] = 8083
