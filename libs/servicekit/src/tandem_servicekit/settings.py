"""Configuration from environment variables, one prefix per service (`TANDEM_PAIRING_...`).

Two Kafka profiles: `production` (the default) is tuned for Apache Kafka; `embedded` changes
only what the embedded Tansu broker needs. Nested values use `__`:
`TANDEM_PAIRING_KAFKA__BOOTSTRAP_SERVERS=kafka:9092`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tandem_servicekit.auth import AuthSettings

DEFAULT_KAFKA = "127.0.0.1:19092"
DEFAULT_MONGO = "mongodb://127.0.0.1:27117/?retryWrites=false"


class Profile(StrEnum):
    PRODUCTION = "production"
    EMBEDDED = "embedded"


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

    def topic(self, name: str) -> str:
        return self.topic_prefix + name

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
    uri: str = DEFAULT_MONGO
    database: str = Field(default="", description="Empty means `tandem_<service>`")
    server_selection_timeout_ms: int = Field(default=5_000, ge=100)


class HttpSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=0, le=65535, description="None: the service's own")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="larger request bodies are refused with 413"
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
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: str = "INFO"
    graceful_timeout_s: float = Field(default=20.0, gt=0)

    @model_validator(mode="after")
    def _service_defaults(self) -> Self:
        """Fill per-service defaults here: a nested env var replaces a whole sub-model."""
        if not self.mongo.database:
            self.mongo = self.mongo.model_copy(update={"database": f"tandem_{self.service_name}"})
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
