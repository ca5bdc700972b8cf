"""The pipeline every consumed record goes through.

decode (CloudEvents + contract) → skip duplicates → run the use case in a unit of work whose
commit also records the event id → done. A record that can never succeed goes to
`<topic>.dlq` with its reason and is then acknowledged; an outage is retried with bounded
exponential backoff and, if it outlasts the budget, the record is not acknowledged (the
subscriber seeks back to it), so nothing is lost and nothing skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter

from tandem_contracts import Envelope, Event, EventMeta, InvalidRecord, decode
from tandem_contracts.topics import dead_letter_topic
from tandem_servicekit.errors import RejectedEvent, is_transient
from tandem_servicekit.health import Health
from tandem_servicekit.logging import get_logger
from tandem_servicekit.publisher import Publisher
from tandem_servicekit.settings import RetrySettings
from tandem_servicekit.uow import ConsumedEvent, DuplicateDelivery, UnitOfWork

U = TypeVar("U", bound=UnitOfWork)
EventHandler = Callable[[Any, EventMeta, U], Awaitable[None]]
"""A use case reacting to one event: (event, its metadata, a unit of work)."""

MAX_HEADER_TEXT = 1000
log = get_logger("tandem.consumer")


@dataclass(frozen=True)
class IncomingRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.records = Counter(
            "tandem_consumer_records_total",
            "Consumed records by outcome",
            ["topic", "outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "tandem_dead_letter_records_total",
            "Records routed to a dead-letter topic, by reason",
            ["topic", "reason"],
            registry=registry,
        )
        self.retries = Counter(
            "tandem_consumer_retries_total",
            "Handler attempts that failed and were retried",
            ["topic", "kind"],
            registry=registry,
        )


class DeadLetterRouter:
    """Copies a poison record to `<topic>.dlq`, same key and value, headers naming the failure."""

    def __init__(self, publisher: Publisher, group: str) -> None:
        self._publisher = publisher
        self._group = group

    async def route(self, record: IncomingRecord, reason: str, error: BaseException) -> None:
        message = str(error)[:MAX_HEADER_TEXT]
        headers = [
            *record.headers,
            ("tandem_dlq_reason", reason.encode()),
            ("tandem_dlq_error_class", type(error).__name__.encode()),
            ("tandem_dlq_error_message", message.encode()),
            ("tandem_dlq_original_topic", record.topic.encode()),
            ("tandem_dlq_original_partition", str(record.partition).encode()),
            ("tandem_dlq_original_offset", str(record.offset).encode()),
            ("tandem_dlq_consumer_group", self._group.encode()),
            ("tandem_dlq_failed_at", datetime.now(UTC).isoformat().encode()),
        ]
        await self._publisher.send(
            dead_letter_topic(record.topic), key=record.key, value=record.value, headers=headers
        )


class EventConsumer(Generic[U]):
    """Runs the handlers of one consumer group for the event types it cares about."""

    def __init__(
        self,
        *,
        group: str,
        handlers: Mapping[type[Event], EventHandler[U]],
        uow_factory: Callable[[], U],
        dead_letters: DeadLetterRouter,
        retry: RetrySettings,
        health: Health,
        metrics: ConsumerMetrics,
    ) -> None:
        self._group = group
        self._handlers = dict(handlers)
        self._uow_factory = uow_factory
        self._dead_letters = dead_letters
        self._retry = retry
        self._health = health
        self._metrics = metrics

    async def process(self, record: IncomingRecord) -> Outcome:
        outcome = await self._process(record)
        self._metrics.records.labels(record.topic, outcome.value).inc()
        return outcome

    async def _process(self, record: IncomingRecord) -> Outcome:
        try:
            envelope = decode(record.headers, record.value)
        except InvalidRecord as exc:
            return await self._dead_letter(record, exc.reason.value, exc)
        handler = self._handlers.get(type(envelope.event))
        if handler is None:
            log.debug("event type not handled by this consumer")
            return Outcome.IGNORED
        attempt = 0
        while True:
            attempt += 1
            try:
                outcome = await self._handle_once(envelope, handler)
            except DuplicateDelivery:
                outcome = Outcome.DUPLICATE
            except RejectedEvent as exc:
                return await self._dead_letter(record, "rejected", exc)
            except Exception as exc:
                transient = is_transient(exc)
                kind = "transient" if transient else "unexpected"
                self._metrics.retries.labels(record.topic, kind).inc()
                log.warning(
                    "handler failed", error_class=type(exc).__name__, attempt=attempt, kind=kind
                )
                if transient:
                    self._health.handling_failed()
                    if attempt >= self._retry.attempts_before_nack:
                        raise  # not acknowledged: the subscriber seeks back and tries again
                elif attempt >= self._retry.attempts_for_unexpected:
                    return await self._dead_letter(record, "handler_error", exc)
                await asyncio.sleep(self._backoff(attempt))
                continue
            self._health.handling_recovered()
            if outcome is Outcome.DUPLICATE:
                log.info("duplicate delivery skipped")
            return outcome

    async def _handle_once(self, envelope: Envelope, handler: EventHandler[U]) -> Outcome:
        meta = envelope.meta
        async with self._uow_factory() as uow:
            if await uow.already_consumed(self._group, meta.id):
                return Outcome.DUPLICATE
            uow.consuming(ConsumedEvent(self._group, meta.id, meta.type))
            await handler(envelope.event, meta, uow)
            if not uow.committed:
                await uow.commit()
        return Outcome.PROCESSED

    async def _dead_letter(
        self, record: IncomingRecord, reason: str, error: BaseException
    ) -> Outcome:
        await self._dead_letters.route(record, reason, error)
        self._metrics.dead_letters.labels(record.topic, reason).inc()
        log.warning("record dead-lettered", reason=reason, error_class=type(error).__name__)
        return Outcome.DEAD_LETTERED

    def _backoff(self, attempt: int) -> float:
        delay = self._retry.initial_delay_s * (2 ** (attempt - 1))
        return float(min(delay, self._retry.max_delay_s))
