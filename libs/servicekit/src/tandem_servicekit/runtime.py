"""One place that assembles a service: broker, database, outbox relay, HTTP app, lifecycle.

Start-up: create topics, ensure indexes, start the publisher, the relay and the subscribers.
Shutdown (SIGTERM): stop consuming and let in-flight handlers finish (faststream's graceful
timeout), flush the outbox, close the clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any, Generic, TypeVar

import uvicorn
from fastapi import APIRouter, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry
from pymongo.asynchronous.database import AsyncDatabase

from tandem_contracts import Event
from tandem_contracts.topics import TopicSpec, all_topic_specs, dead_letter_topic
from tandem_servicekit.asyncapi import EventCatalogue, asyncapi_document, asyncapi_router
from tandem_servicekit.auth import AuthGuard, AuthMode, document_bearer_auth
from tandem_servicekit.clock import Clock, SimulatedClock
from tandem_servicekit.consumer import (
    BatchHandler,
    ConsumerMetrics,
    DeadLetterRouter,
    EventConsumer,
    EventHandler,
    IncomingRecord,
    dispatching,
)
from tandem_servicekit.guards import RequestGuard
from tandem_servicekit.health import Health
from tandem_servicekit.http import ERROR_RESPONSES, install_error_handlers, probes_router
from tandem_servicekit.logging import configure_logging, get_logger
from tandem_servicekit.middleware import LogContextMiddleware
from tandem_servicekit.mongo import Document, make_client
from tandem_servicekit.outbox import OutboxMetrics, OutboxRelay
from tandem_servicekit.publisher import KafkaPublisher
from tandem_servicekit.retrying import ConflictRetry
from tandem_servicekit.settings import ServiceSettings, unknown_variables
from tandem_servicekit.shutdown import bounded, cancelled
from tandem_servicekit.topics_admin import MissingTopics, ensure_topics
from tandem_servicekit.uow import MongoUnitOfWork, ensure_runtime_indexes
from tandem_servicekit.watch import RuntimeWatch

U = TypeVar("U", bound=MongoUnitOfWork)
log = get_logger("tandem.runtime")
STARTUP_ATTEMPTS = 30
READINESS_TIMEOUT_S = 2.0


async def _raw_body(message: Any) -> Any:
    """Hand handlers the record's bytes untouched; the CloudEvents codec decodes them."""
    return message.body


async def _tolerant_parse(raw: Any, original: Callable[[Any], Awaitable[Any]]) -> Any:
    """faststream's parser decodes every header value as UTF-8 and fails on a null or non-UTF-8
    one before Tandem's code runs (the record would be acknowledged and lost). It parses a copy
    with printable header values; Tandem's pipeline gets the untouched record, bytes and all,
    and dead-letters it with a reason."""
    records = raw if isinstance(raw, tuple) else (raw,)
    safe = tuple(
        dataclasses.replace(r, headers=[(k, _printable(v)) for k, v in (r.headers or ())])
        for r in records
    )
    message = await original(safe if isinstance(raw, tuple) else safe[0])
    message.raw_message = raw
    return message


def _printable(value: bytes | None) -> bytes:
    return b"" if value is None else value.decode("utf-8", "replace").encode()


def _incoming(raw: Any) -> IncomingRecord:
    headers = tuple(raw.headers or ())
    return IncomingRecord(raw.topic, raw.partition, raw.offset, raw.key, raw.value, headers)


class ServiceRuntime(Generic[U]):
    def __init__(
        self,
        settings: ServiceSettings,
        uow_class: type[U],
        *,
        indexes: Callable[[AsyncDatabase[Document]], Awaitable[None]] | None = None,
        topics: Iterable[TopicSpec] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or settings.clock.build()
        self.registry = CollectorRegistry()
        self.health = Health(settings.consumer.stall_after_s, self.registry)
        self.mongo = make_client(settings.mongo)
        self.db: AsyncDatabase[Document] = self.mongo[settings.mongo.database]
        self.publisher = KafkaPublisher(settings.kafka, client_id=f"{settings.consumer_group}-out")
        self.relay = OutboxRelay(
            self.db, self.publisher, settings.outbox, OutboxMetrics(self.registry)
        )
        self.broker = KafkaBroker(
            settings.kafka.bootstrap_servers,
            security=settings.kafka.security(),
            client_id=settings.kafka.client_id or settings.consumer_group,
            request_timeout_ms=settings.kafka.request_timeout_ms,
            graceful_timeout=settings.graceful_timeout_s,
            middlewares=[
                LogContextMiddleware,
                KafkaPrometheusMiddleware(
                    registry=self.registry,
                    app_name=settings.service_name,
                    metrics_prefix="tandem",
                ),
            ],
            logger=logging.getLogger("tandem.faststream"),
            log_level=logging.DEBUG,
        )
        self.catalogue = EventCatalogue()
        self._uow_class = uow_class
        self._indexes = indexes
        self._topics = tuple(
            dataclasses.replace(spec, name=settings.kafka.topic(spec.name))
            for spec in (topics if topics is not None else all_topic_specs())
        )
        self._consumer_metrics = ConsumerMetrics(self.registry)
        self._dead_letters = DeadLetterRouter(self.publisher, settings.consumer_group)
        self._background: list[Callable[[], Coroutine[Any, Any, None]]] = []
        self._readiness_checks: dict[str, Callable[[], bool]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.watch = RuntimeWatch(self.registry)
        self.background(self._watch)

    def unit_of_work(self) -> U:
        return self._uow_class(
            self.mongo,
            self.settings.mongo.database,
            source=self.settings.source,
            clock=self.clock,
            on_commit=self.relay.notify,
            topic_prefix=self.settings.kafka.topic_prefix,
        )

    def _consumer(
        self, topic: str, types: Iterable[type[Event]], handler: BatchHandler[U]
    ) -> EventConsumer[U]:
        return EventConsumer(
            group=self.settings.consumer_group,
            topic=topic,
            topic_prefix=self.settings.kafka.topic_prefix,
            database_up=self._database_up,
            types=types,
            handler=handler,
            uow_factory=self.unit_of_work,
            dead_letters=self._dead_letters,
            retry=self.settings.retry,
            health=self.health,
            metrics=self._consumer_metrics,
        )

    def subscribe(self, topic: str, handlers: Mapping[type[Event], EventHandler[U]]) -> None:
        """Consume `topic` (a contract name; the prefix is added) one record per transaction,
        dispatching by event type. For low-volume topics; offsets are committed per record."""
        consumer = self._consumer(topic, handlers, dispatching(handlers))

        async def on_record(body: bytes, msg: KafkaMessage) -> None:
            await consumer.process(_incoming(msg.raw_message))

        self._register(topic, consumer, on_record, batch=False)

    def subscribe_batch(
        self,
        topic: str,
        types: Iterable[type[Event]],
        handler: BatchHandler[U],
        *,
        max_records: int | None = None,
    ) -> None:
        """Consume `topic` in batches of up to `max_records` (default: the consumer settings):
        one transaction per batch (a poison record is split off alone), offsets committed after
        the batch is stored."""
        consumer = self._consumer(topic, types, handler)

        async def on_batch(body: list[bytes], msg: KafkaMessage) -> None:
            raw = msg.raw_message
            records = raw if isinstance(raw, tuple) else (raw,)
            await consumer.process_batch([_incoming(r) for r in records])

        limit = max_records or self.settings.consumer.batch_max_records
        self._register(topic, consumer, on_batch, batch=True, max_records=limit)

    def _register(
        self,
        topic: str,
        consumer: EventConsumer[U],
        call: Callable[..., Awaitable[None]],
        *,
        batch: bool,
        max_records: int | None = None,
    ) -> None:
        name = self.settings.kafka.topic(topic)
        call.__name__ = f"on_{name.replace('.', '_').replace('-', '_')}"
        self.catalogue.consumes(topic, consumer.handled_types)
        options: dict[str, Any] = dict(self.settings.kafka.consumer_options())
        if batch:
            options.update(batch=True, max_records=max_records)
        group = self.group_of(topic)
        self.broker.subscriber(
            name,
            group_id=group,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_raw_body,
            parser=_tolerant_parse,
            title=f"{self.settings.service_name}:{topic}",
            description=f"Consumed by {group}",
            **options,
        )(call)

    def group_of(self, topic: str) -> str:
        """The Kafka consumer group of one subscription: `tandem-<service>.<topic>`, the topic
        with its configured prefix.

        One group per topic, so a service's subscriptions never rebalance each other (two
        consumers with different subscriptions in one group do, on every join), nor do two
        deployments sharing a cluster under different topic prefixes (a member of one that
        died unannounced would hold up the other's joins); ACLs can grant the prefix
        `tandem-<service>.`.
        """
        return f"{self.settings.consumer_group}.{self.settings.kafka.topic(topic)}"

    def background(self, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run `loop` (a coroutine that runs until cancelled, e.g. a ticker) while the service
        is up: started after the subscribers, cancelled first on shutdown."""
        self._background.append(loop)

    def ready_when(self, name: str, check: Callable[[], bool]) -> None:
        """One more condition of `/readyz` (reported under `name`), such as a warm-up that
        must finish before the service takes requests."""
        self._readiness_checks[name] = check

    def publishes(self, topic: str, types: Iterable[type[Event]]) -> None:
        """Declare what this service publishes on `topic` (through its outbox), for AsyncAPI.

        The faststream publisher only describes the channel: records leave through the relay.
        """
        self.catalogue.publishes(topic, types)
        self.broker.publisher(
            self.settings.kafka.topic(topic),
            title=f"{self.settings.service_name}:publishes:{topic}",
            description=f"Published by the {self.settings.service_name} outbox relay",
        )

    def asyncapi(self) -> dict[str, Any]:
        """The service's AsyncAPI 3 document: faststream's, with the contract payloads."""
        return asyncapi_document(self, self.catalogue)

    async def _database_up(self) -> bool:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.mongo.admin.command("ping"), READINESS_TIMEOUT_S)
            return True
        return False

    async def readiness(self) -> dict[str, bool]:
        async def database() -> bool:
            return await self._database_up()

        async def broker() -> bool:
            with contextlib.suppress(Exception):
                return bool(await self.broker.ping(timeout=READINESS_TIMEOUT_S))
            return False

        db_ok, broker_ok = await asyncio.gather(database(), broker())
        return {
            "database": db_ok,
            "broker": broker_ok,
            "handlers": self.health.handling_ok,
            "consumers": not self.health.stalled(),
            "outbox": self.relay.healthy,
            **{name: check() for name, check in self._readiness_checks.items()},
        }

    async def _watch(self) -> None:
        """Readiness and consumer lag as metrics, every few seconds (see `watch`)."""
        while True:
            with contextlib.suppress(Exception):
                self.watch.record_readiness(await self.readiness())
                consumers = [getattr(s, "consumer", None) for s in self.broker.subscribers]
                await self.watch.record_lag(consumers)
            await asyncio.sleep(self.watch.interval_s)

    def _topics_in_use(self) -> list[TopicSpec]:
        """Every topic when the service may create them (a fresh embedded broker gets them all
        at once); else only those it reads, writes or dead-letters to, the ones its ACLs allow."""
        if self.settings.kafka.create_topics:
            return list(self._topics)
        prefix = self.settings.kafka.topic_prefix
        used = {prefix + t for t in self.catalogue.consumed} | {
            prefix + t for t in self.catalogue.published
        }
        used |= {prefix + dead_letter_topic(t) for t in self.catalogue.consumed}
        return [spec for spec in self._topics if spec.name in used]

    async def start(self) -> None:
        missing = self.settings.auth.missing()
        if missing:
            prefix = type(self.settings).model_config.get("env_prefix", "")
            names = ", ".join(f"{prefix}AUTH__{m.upper()}" for m in missing)
            raise RuntimeError(f"set {names}: every API needs a verified bearer token")
        if self.settings.auth.mode is AuthMode.DISABLED:
            log.warning(
                "AUTHENTICATION DISABLED: every caller is anonymous and holds every role; "
                "for local experiments only, never in production"
            )
        for attempt in range(1, STARTUP_ATTEMPTS + 1):
            try:
                await ensure_topics(self.settings.kafka, self._topics_in_use())
                await ensure_runtime_indexes(
                    self.db,
                    keep_published_s=self.settings.outbox.keep_published_s,
                    keep_inbox_s=self.settings.consumer.keep_inbox_s,
                )
                if self._indexes is not None:
                    await self._indexes(self.db)
                break
            except Exception as exc:
                if attempt == STARTUP_ATTEMPTS:
                    raise
                # Topic names are configuration, never personal data: say which are missing.
                detail = str(exc) if isinstance(exc, MissingTopics) else None
                log.warning(
                    "dependencies not ready yet",
                    error_class=type(exc).__name__,
                    attempt=attempt,
                    detail=detail,
                )
                await asyncio.sleep(min(0.5 * attempt, 5.0))
        await self.publisher.start()
        self.relay.start()
        await self.broker.start()
        self._tasks = [asyncio.create_task(loop()) for loop in self._background]
        if isinstance(self.clock, SimulatedClock):
            log.warning(
                "simulated clock: time is read from a file (demos and tests only)",
                now=self.clock.now().isoformat(),
            )
        log.info("service started", service=self.settings.service_name)

    async def stop(self) -> None:
        log.info("service stopping", service=self.settings.service_name)
        budget = self.settings.graceful_timeout_s / 4
        await cancelled("background tasks", self._tasks, budget)
        await bounded("broker", self.broker.stop(), budget)
        await self.relay.stop(timeout_s=budget)
        await bounded("publisher", self.publisher.stop(), budget)
        await bounded("database client", self.mongo.close(), budget)
        log.info("service stopped", service=self.settings.service_name)

    def http_app(self, *routers: APIRouter, title: str, description: str = "") -> FastAPI:
        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(
            title=title,
            description=description,
            version="1.0.0",
            lifespan=lifespan,
            responses=ERROR_RESPONSES,
        )
        app.add_middleware(ConflictRetry, budget_s=self.settings.http.conflict_retry_s)
        app.add_middleware(RequestGuard, max_body_bytes=self.settings.http.max_body_bytes)
        app.add_middleware(AuthGuard, settings=self.settings.auth)
        document_bearer_auth(app)
        install_error_handlers(app)
        app.include_router(probes_router(self.readiness, self.registry))
        app.include_router(asyncapi_router(self.asyncapi))
        for router in routers:
            app.include_router(router)
        app.state.runtime = self
        app.state.unit_of_work = self.unit_of_work
        return app


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Run the service until SIGINT/SIGTERM; uvicorn drives the lifespan (graceful stop)."""
    configure_logging(settings.log_format, settings.log_level)
    unknown = unknown_variables(type(settings), os.environ)
    if unknown:
        log.warning("environment variables name no setting and are ignored", names=unknown)
    config = uvicorn.Config(
        app,
        host=settings.http.host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.graceful_timeout_s),
    )
    uvicorn.Server(config).run()
