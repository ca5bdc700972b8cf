"""Settings: production defaults stay strict; the embedded profile changes only what Tansu needs."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import KafkaSettings, Profile, ServiceSettings


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TANDEM_DEMO_", env_nested_delimiter="__")
    service_name: str = "demo"
    default_http_port: ClassVar[int] = 8099


def test_production_profile_is_the_default_and_strict() -> None:
    kafka = KafkaSettings()
    assert kafka.profile is Profile.PRODUCTION
    assert kafka.producer_options() == {"acks": "all", "enable_idempotence": True}
    assert kafka.consumer_options()["session_timeout_ms"] == 45_000


def test_embedded_profile_only_relaxes_what_tansu_needs() -> None:
    kafka = KafkaSettings(profile=Profile.EMBEDDED)
    assert kafka.producer_options() == {"acks": "all", "enable_idempotence": False}
    assert kafka.consumer_options() == {
        "auto_offset_reset": "earliest",
        "session_timeout_ms": 2_000,
        "heartbeat_interval_ms": 300,
        "fetch_max_wait_ms": 50,
    }


def test_environment_variables_with_prefix_and_nesting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DEMO_KAFKA__BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    monkeypatch.setenv("TANDEM_DEMO_KAFKA__PROFILE", "embedded")
    monkeypatch.setenv("TANDEM_DEMO_KAFKA__TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("TANDEM_DEMO_MONGO__URI", "mongodb://db:27017/?replicaSet=rs0")
    monkeypatch.setenv("TANDEM_DEMO_HTTP__PORT", "9000")
    settings = DemoSettings()
    assert settings.kafka.bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert settings.kafka.profile is Profile.EMBEDDED
    assert settings.kafka.topic("tandem.pairing.v1") == "staging.tandem.pairing.v1"
    assert settings.mongo.database == "tandem_demo"
    assert settings.http.port == 9000
    assert settings.source == "/tandem/demo"
    assert settings.consumer_group == "tandem-demo"


def test_service_defaults_survive_partial_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DEMO_HTTP__HOST", "0.0.0.0")
    settings = DemoSettings()
    assert settings.http_port == 8099
    assert settings.mongo.database == "tandem_demo"


def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DEMO_KAFKA__PROFILE", "staging")
    with pytest.raises(ValidationError, match="profile"):
        DemoSettings()
