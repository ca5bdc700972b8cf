"""Configuration from environment variables, one prefix per service (`TANDEM_PAIRING_...`).

Two Kafka profiles: `production` (the default) is tuned for Apache Kafka; `embedded` changes
only what the embedded Tansu broker needs. Nested values use `__`:
`TANDEM_PAIRING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

from faststream.kafka.security import parse_security
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_servicekit.auth import AuthSettings
from tandem_servicekit.clock import Clock, SimulatedClock, SystemClock, read_simulated_time

DEFAULT_KAFKA = "127.0.0.1:19092"
DEFAULT_MONGO = "mongodb://127.0.0.1:27117/?retryWrites=false"


class Profile(StrEnum):
    PRODUCTION = "production"
    EMBEDDED = "embedded"


def read_secret_file(path: str, what: str) -> str:
    """A secret mounted as a file (Kubernetes secret volume): its content without the newline."""
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(f"{what}: cannot read {path}: {exc.strerror}") from None
    if not value:
        raise ValueError(f"{what}: {path} is empty")
    return value


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
SASL_SECURITY = {
    "SCRAM-SHA-512": SASLScram512,
    "SCRAM-SHA-256": SASLScram256,
    "PLAIN": SASLPlaintext,
}


class KafkaSettings(BaseModel):
    bootstrap_servers: str = DEFAULT_KAFKA
    profile: Profile = Profile.PRODUCTION
    client_id: str | None = None
    request_timeout_ms: int = Field(default=30_000, ge=1_000)
    topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prepended to every topic name: namespaces a shared cluster, isolates tests",
    )
    create_topics: bool = Field(
        default=True,
        description="Create missing topics at start-up. false where topics are managed outside "
        "(Strimzi KafkaTopic, a shared cluster): the service then only checks that the topics "
        "it uses exist and needs no Create right",
    )
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: SecretStr = SecretStr("")
    sasl_password_file: str = Field(
        default="", description="File holding the SASL password (a mounted secret); wins"
    )
    ssl_cafile: str = Field(
        default="", description="PEM file of the CA that signs the brokers' certificates"
    )

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        if self.sasl_password_file:
            secret = read_secret_file(self.sasl_password_file, "kafka.sasl_password_file")
            self.sasl_password = SecretStr(secret)
        if self.security_protocol.startswith("SASL") and not (
            self.sasl_username and self.sasl_password.get_secret_value()
        ):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_username and "
                "sasl_password (or sasl_password_file)"
            )
        if self.ssl_cafile and not Path(self.ssl_cafile).is_file():
            raise ValueError(f"kafka.ssl_cafile: {self.ssl_cafile} is not a file")
        return self

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

    def security(self) -> BaseSecurity | None:
        """faststream's description of how to reach the brokers (None: plaintext)."""
        if self.security_protocol == "PLAINTEXT":
            return None
        tls = self.security_protocol in ("SSL", "SASL_SSL")
        context = ssl.create_default_context(cafile=self.ssl_cafile or None) if tls else None
        if self.security_protocol == "SSL":
            return BaseSecurity(ssl_context=context, use_ssl=True)
        return SASL_SECURITY[self.sasl_mechanism](
            self.sasl_username,
            self.sasl_password.get_secret_value(),
            ssl_context=context,
            use_ssl=tls,
        )

    def client_options(self) -> dict[str, Any]:
        """The same, as keyword arguments of aiokafka's clients (producer, admin, consumer)."""
        return parse_security(self.security())

    def producer_options(self) -> dict[str, Any]:
        """acks=all with the idempotent producer, except where the broker cannot do it.

        Tansu rejects InitProducerId v0, so the embedded profile turns idempotence off;
        dedupe on `ce_id` downstream keeps the effect exactly-once either way.
        """
        return {"acks": "all", "enable_idempotence": self.profile is Profile.PRODUCTION}

    def consumer_options(self) -> dict[str, Any]:
        """Group membership timing.

        Every consumer starts from the earliest retained record: a projection that joins late
        must still see history (and Tansu's ListOffsets "latest" is wrong anyway). Tansu holds
        JoinGroup for half the session timeout, so the embedded profile keeps it short; it also
        holds every fetch for its full `fetch_max_wait_ms` even when records arrive (Kafka
        answers as soon as one byte is there), which adds that wait to every hop: 50 ms, not
        the default 500.
        """
        auto_offset_reset: Literal["earliest"] = "earliest"
        if self.profile is Profile.EMBEDDED:
            return {
                "auto_offset_reset": auto_offset_reset,
                "session_timeout_ms": 2_000,
                "heartbeat_interval_ms": 300,
                "fetch_max_wait_ms": 50,
            }
        return {
            "auto_offset_reset": auto_offset_reset,
            "session_timeout_ms": 45_000,
            "heartbeat_interval_ms": 3_000,
        }


class MongoSettings(BaseModel):
    uri: SecretStr = SecretStr(DEFAULT_MONGO)
    uri_file: str = Field(
        default="",
        description="File holding the connection string (a mounted secret, such as the "
        "MongoDB operator's connectionString.standard); wins over `uri`",
    )
    database: str = Field(default="", description="Empty means `tandem_<service>`")
    server_selection_timeout_ms: int = Field(default=5_000, ge=100)

    @model_validator(mode="after")
    def _uri_from_file(self) -> Self:
        if self.uri_file:
            self.uri = SecretStr(read_secret_file(self.uri_file, "mongo.uri_file"))
        if not self.uri.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("mongo.uri must start with mongodb:// or mongodb+srv://")
        return self


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=0, le=65535, description="None: the service's own")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="larger request bodies are refused with 413"
    )
    conflict_retry_s: float = Field(
        default=2.0,
        ge=0,
        le=30,
        description="how long a request that lost a write conflict (nothing stored) is run "
        "again before the caller gets 503; 0 answers at once",
    )


class RetrySettings(BaseModel):
    """Bounded exponential backoff for transient failures (database or broker unavailable)."""

    initial_delay_s: float = Field(default=0.2, gt=0)
    max_delay_s: float = Field(default=5.0, gt=0)
    attempts_before_nack: int = Field(
        default=8, ge=1, description="outage retries in place before the batch is sought back"
    )
    attempts_for_unexpected: int = Field(
        default=3, ge=1, description="attempts before a failing record goes to the DLQ"
    )
    conflict_budget_s: float = Field(
        default=90.0,
        gt=0,
        description="how long a record is retried on write conflicts while the database "
        "answers (above MongoDB's 60 s transaction lifetime limit) before it is dead-lettered",
    )


class ConsumerSettings(BaseModel):
    stall_after_s: float = Field(
        default=30.0,
        gt=0,
        description="a batch applied longer than this marks the consumer stalled",
    )
    keep_inbox_s: int = Field(
        default=30 * 86_400,
        ge=3600,
        description="how long consumed event ids are remembered: the redelivery window",
    )
    batch_max_records: int = Field(
        default=500,
        ge=1,
        le=10_000,
        description="Records applied in one transaction by batch subscribers (1: per record)",
    )


class OutboxSettings(BaseModel):
    poll_interval_s: float = Field(default=0.5, gt=0)
    batch_size: int = Field(default=1000, ge=1, le=10_000)
    lease_s: float = Field(
        default=15.0, gt=0, description="How long a silent relay keeps the right to publish"
    )
    keep_published_s: int = Field(
        default=7 * 86_400, ge=60, description="published entries are deleted after this"
    )


class ClockSettings(BaseModel):
    simulated_file: Path | None = Field(
        default=None,
        description="demos and tests only: read the time from this file, which the scenario "
        "advances (refused with the production Kafka profile); unset: the system clock",
    )

    def build(self) -> Clock:
        return SimulatedClock(self.simulated_file) if self.simulated_file else SystemClock()


class ServiceSettings(BaseSettings):
    """Settings every service shares; a service subclasses it to set its prefix and defaults."""

    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore")

    service_name: str
    default_http_port: ClassVar[int] = 8080
    kafka: KafkaSettings = KafkaSettings()
    mongo: MongoSettings = MongoSettings()
    http: HttpSettings = HttpSettings()
    retry: RetrySettings = RetrySettings()
    consumer: ConsumerSettings = ConsumerSettings()
    outbox: OutboxSettings = OutboxSettings()
    auth: AuthSettings = AuthSettings()
    clock: ClockSettings = ClockSettings()
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    graceful_timeout_s: float = Field(default=20.0, gt=0)

    @model_validator(mode="after")
    def _service_defaults(self) -> Self:
        """Fill per-service defaults here: a nested env var replaces a whole sub-model."""
        if not self.mongo.database:
            self.mongo = self.mongo.model_copy(update={"database": f"tandem_{self.service_name}"})
        if self.clock.simulated_file and self.kafka.profile is Profile.PRODUCTION:
            raise ValueError(
                "CLOCK__SIMULATED_FILE is for demos and tests: it is refused with the "
                "production Kafka profile (KAFKA__PROFILE=production)"
            )
        if self.clock.simulated_file:
            read_simulated_time(self.clock.simulated_file)  # a clear error now, not per request
        return self

    @property
    def http_port(self) -> int:
        return self.http.port if self.http.port is not None else self.default_http_port

    @property
    def source(self) -> str:
        """CloudEvents `source` of everything this service publishes."""
        return f"/tandem/{self.service_name}"

    @property
    def consumer_group(self) -> str:
        return f"tandem-{self.service_name}"


def unknown_variables(settings_class: type[BaseSettings], environ: Mapping[str, str]) -> list[str]:
    """The variables carrying `settings_class`'s prefix that name no setting.

    pydantic-settings ignores them silently, so a misspelt `TANDEM_PAIRING_KAFKA__BOOTSTRAP_SERVER`
    would leave the default in place: the service warns at start-up, the deploy tests fail.
    """
    prefix = str(settings_class.model_config.get("env_prefix", "")).upper()
    delimiter = str(settings_class.model_config.get("env_nested_delimiter") or "__")
    unknown = []
    for name in environ:
        if not prefix or not name.upper().startswith(prefix):
            continue
        path = name[len(prefix) :].lower().split(delimiter)
        model: type[BaseModel] | None = settings_class
        for part in path:
            field = model.model_fields.get(part) if model is not None else None
            if field is None:
                unknown.append(name)
                break
            annotation = field.annotation
            model = (
                annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel)
                else None
            )
    return sorted(unknown)
