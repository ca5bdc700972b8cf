"""Feedback settings: environment variables prefixed `TANDEM_FEEDBACK_`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import HttpSettings, MongoSettings, ServiceSettings


class FeedbackSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_FEEDBACK_", env_nested_delimiter="__")

    service_name: str = "feedback"
    mongo: MongoSettings = MongoSettings(database="tandem_feedback")
    http: HttpSettings = HttpSettings(port=8083)
