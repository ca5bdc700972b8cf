"""Settings: production defaults stay strict; the embedded profile changes only what Tansu needs."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from tandem_servicekit.settings import (
    KafkaSettings,
    MongoSettings,
    Profile,
    ServiceSettings,
    unknown_variables,
)


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


def test_secrets_are_read_from_mounted_files_and_never_printed(tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("s3cret-scram\n")
    uri = tmp_path / "connectionString.standard"
    uri.write_text("mongodb://pairing:pw@mongo-0.mongo-svc:27017/tandem_pairing?replicaSet=rs0\n")
    kafka = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_username="tandem-pairing",
        sasl_password_file=str(password),
    )
    mongo = MongoSettings(uri_file=str(uri))
    assert kafka.sasl_password.get_secret_value() == "s3cret-scram"
    assert mongo.uri.get_secret_value().startswith("mongodb://pairing:pw@mongo-0")
    assert "s3cret" not in repr(kafka)
    assert "pw@" not in repr(mongo)
    options = kafka.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "tandem-pairing"
    assert options["sasl_plain_password"] == "s3cret-scram"
    assert options["ssl_context"] is not None


def test_plaintext_is_the_default_and_needs_no_security_options() -> None:
    assert KafkaSettings().security() is None
    assert KafkaSettings().client_options() == {}
    assert KafkaSettings().create_topics is True


@pytest.mark.parametrize(
    ("kafka", "message"),
    [
        ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "needs sasl_username and"),
        ({"sasl_password_file": "/nonexistent/password"}, "cannot read /nonexistent/password"),
        ({"ssl_cafile": "/nonexistent/ca.crt"}, "is not a file"),
        ({"security_protocol": "SASL_TLS"}, "security_protocol"),
    ],
)
def test_bad_kafka_security_is_refused_with_the_reason(kafka: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KafkaSettings.model_validate(kafka)


def test_a_mongo_uri_that_is_not_one_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ValidationError, match="is empty"):
        MongoSettings(uri_file=str(empty))
    with pytest.raises(ValidationError, match="must start with mongodb://"):
        MongoSettings(uri="postgres://db")


def test_misspelt_variables_are_found() -> None:
    environ = {
        "TANDEM_DEMO_KAFKA__BOOTSTRAP_SERVERS": "kafka:9092",
        "TANDEM_DEMO_KAFKA__BOOTSTRAP_SERVER": "typo",
        "TANDEM_DEMO_HTTP__HOST": "0.0.0.0",
        "TANDEM_DEMO_LOG_FORMAT": "json",
        "TANDEM_DEMO_AUTH__JWKS_URL": "https://idp/keys",
        "TANDEM_DEMO_MONGO__URI__X": "nested below a plain value",
        "TANDEM_DEMO_GRACEFUL_TIMEOUT": "20",
        "TANDEM_OTHER_HTTP__HOST": "another service's",
        "PATH": "/usr/bin",
    }
    assert unknown_variables(DemoSettings, environ) == [
        "TANDEM_DEMO_GRACEFUL_TIMEOUT",
        "TANDEM_DEMO_KAFKA__BOOTSTRAP_SERVER",
        "TANDEM_DEMO_MONGO__URI__X",
    ]
