"""A service in-process on the embedded stack, for integration tests of any service.

`running_service(build_app, settings)` starts the service's runtime (topics, indexes, relay,
subscribers) against the real embedded broker and database and hands back its HTTP API (over
ASGI, no port), a producer to publish events the way another system would, and readers for the
topics it writes. `service_settings` gives a test its own topic prefix and database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI

from tandem_contracts import Event, encode
from tandem_devkit.embedded import StackInfo
from tandem_devkit.issuer import AUDIENCE
from tandem_servicekit.auth import AuthSettings
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import KafkaSettings, MongoSettings, Profile, RetrySettings
from tandem_servicekit.settings import ServiceSettings as BaseSettings
from tandem_servicekit.testing import ReadRecord, read_topic

S = TypeVar("S", bound=BaseSettings)


def service_settings(settings_class: type[S], stack: StackInfo, unique: str, **fields: Any) -> S:
    """Settings for one test: embedded profile, a topic prefix and database of its own, the
    embedded token issuer, and retries fast enough that an induced failure does not slow the
    test down."""
    name = settings_class.model_fields["service_name"].default or "svc"
    defaults: dict[str, Any] = {
        "kafka": KafkaSettings(
            bootstrap_servers=stack.kafka_bootstrap,
            profile=Profile.EMBEDDED,
            topic_prefix=f"{name[:3]}{unique}.",
        ),
        "mongo": MongoSettings(uri=stack.mongo_uri, database=f"{name}_{unique}"),
        "retry": RetrySettings(initial_delay_s=0.01, max_delay_s=0.05),
        "auth": AuthSettings(
            issuer=stack.issuer.url, audience=AUDIENCE, jwks_url=stack.issuer.jwks_url
        ),
    }
    return settings_class(**{**defaults, **fields})


@dataclass
class ServiceHarness:
    http: httpx.AsyncClient
    runtime: ServiceRuntime[Any]
    settings: BaseSettings
    producer: KafkaPublisher

    async def publish(
        self, *events: Event, source: str = "/hr/workday", event_id: str | None = None
    ) -> list[str]:
        """Publish each event to its contract topic (with this test's prefix); returns ids."""
        records = [encode(event, source=source, event_id=event_id) for event in events]
        prefix = self.settings.kafka.topic_prefix
        await self.producer.send_many([ProducerRecord.of(r, prefix) for r in records])
        return [r.meta.id for r in records]

    async def read(
        self, topic: str, at_least: int = 0, timeout_s: float = 15.0
    ) -> list[ReadRecord]:
        """Every record on the contract topic `topic` (see `read_topic`)."""
        return await read_topic(
            self.settings.kafka.bootstrap_servers,
            self.settings.kafka.topic(topic),
            at_least=at_least,
            timeout_s=timeout_s,
        )

    async def events_of_type(
        self, topic: str, suffix: str, at_least: int, timeout_s: float = 15.0
    ) -> list[ReadRecord]:
        """Records on `topic` whose `ce_type` ends with `suffix`, once `at_least` are there."""
        deadline = time.monotonic() + timeout_s
        while True:
            everything = await self.read(topic)
            found = [r for r in everything if r.headers["ce_type"].decode().endswith(suffix)]
            if len(found) >= at_least or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running_service(
    build_app: Callable[[S], FastAPI], settings: S, headers: dict[str, str] | None = None
) -> AsyncIterator[ServiceHarness]:
    """`headers` go with every request of `http` (e.g. `stack.auth_headers()`)."""
    app = build_app(settings)
    runtime: ServiceRuntime[Any] = app.state.runtime
    await runtime.start()
    producer = KafkaPublisher(settings.kafka, client_id="test-producer")
    await producer.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url=f"http://{settings.service_name}",
            headers=headers,
        ) as http:
            yield ServiceHarness(http, runtime, settings, producer)
    finally:
        await producer.stop()
        await runtime.stop()
