"""The pipeline every consumed record goes through, one record or a whole batch at a time.

Per record: read the CloudEvents headers → a type this consumer does not handle is acknowledged
and counted, never dead-lettered (tolerant reader: other services may add types) → validate the
value tolerantly (unknown fields ignored) → an invalid record goes to `<topic>.dlq` with its
reason. The valid records of a batch are then applied in ONE unit of work: the inbox filters
redeliveries, the handler changes state (bulk writes where it can), and the commit records every
event id with the state change and the outgoing events.

A record that makes the batch fail for good is isolated by bisection: the halves are applied
separately until the culprit stands alone; it then gets the per-record treatment (a rejection or
a bug that persists over a few attempts → DLQ) while the records around it are applied. An
outage is retried with bounded exponential backoff and, past the budget, the batch is not
acknowledged (the subscriber seeks back), so nothing is lost and nothing skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter

from tandem_contracts import Event, EventMeta, InvalidRecord
from tandem_contracts.cloudevents import decode_data, decode_meta
from tandem_contracts.topics import dead_letter_topic
from tandem_servicekit.errors import RejectedEvent, is_transient
from tandem_servicekit.health import Health
from tandem_servicekit.logging import get_logger
from tandem_servicekit.publisher import ProducerRecord, Publisher
from tandem_servicekit.settings import RetrySettings
from tandem_servicekit.uow import ConsumedEvent, DuplicateDelivery, TrackingUnitOfWork

U = TypeVar("U", bound=TrackingUnitOfWork)

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


@dataclass(frozen=True)
class Delivery:
    """A consumed record that decoded into an event this consumer handles."""

    event: Event
    meta: EventMeta
    record: IncomingRecord


EventHandler = Callable[[Any, EventMeta, U], Awaitable[None]]
"""A use case reacting to one event: (event, its metadata, a unit of work). It does not commit:
the consumer commits, together with the event's inbox marker."""

BatchHandler = Callable[[Sequence[Delivery], U], Awaitable[None]]
"""A use case reacting to a batch of events, oldest first, in one unit of work (no commit)."""


def dispatching(handlers: Mapping[type[Event], EventHandler[U]]) -> BatchHandler[U]:
    """A batch handler that runs each event's own handler in turn, in the batch's transaction."""

    async def handle(batch: Sequence[Delivery], uow: U) -> None:
        for delivery in batch:
            await handlers[type(delivery.event)](delivery.event, delivery.meta, uow)

    return handle


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    DEAD_LETTERED = "dead_lettered"


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def counter(name: str, doc: str, *labels: str) -> Counter:
            return Counter(f"tandem_{name}_total", doc, ["topic", *labels], registry=registry)

        self.records = counter(
            "consumer_records",
            "Consumed records by outcome (ignored: a type this consumer does not handle)",
            "outcome",
        )
        self.dead_letters = counter(
            "dead_letter_records", "Records routed to a dead-letter topic, by reason", "reason"
        )
        self.retries = counter(
            "consumer_retries", "Handler attempts that failed and were retried", "kind"
        )
        self.batches = counter(
            "consumer_transactions",
            "Units of work committed by the consumer (one per batch, or per half of a split one)",
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
        await self._publisher.send_many(
            [ProducerRecord(dead_letter_topic(record.topic), record.key, record.value, headers)]
        )


class EventConsumer(Generic[U]):
    """Runs one consumer group's handler for the event types it handles, a batch at a time."""

    def __init__(
        self,
        *,
        group: str,
        types: Iterable[type[Event]],
        handler: BatchHandler[U],
        uow_factory: Callable[[], U],
        dead_letters: DeadLetterRouter,
        retry: RetrySettings,
        health: Health,
        metrics: ConsumerMetrics,
    ) -> None:
        self._group = group
        self._types = {t.event_type: t for t in types}
        self._handler = handler
        self._uow_factory = uow_factory
        self._dead_letters = dead_letters
        self._retry = retry
        self._health = health
        self._metrics = metrics

    @classmethod
    def per_event(
        cls, *, handlers: Mapping[type[Event], EventHandler[U]], **kwargs: Any
    ) -> EventConsumer[U]:
        """A consumer whose handlers each take one event (they still share a batch's commit)."""
        return cls(types=handlers, handler=dispatching(handlers), **kwargs)

    @property
    def handled_types(self) -> tuple[type[Event], ...]:
        return tuple(self._types.values())

    async def process(self, record: IncomingRecord) -> Outcome:
        [outcome] = await self.process_batch([record])
        return outcome

    async def process_batch(self, records: Sequence[IncomingRecord]) -> list[Outcome]:
        """Every record's outcome, in order. Raises only for an outage past the retry budget."""
        outcomes: dict[int, Outcome] = {}
        deliveries: list[tuple[int, Delivery]] = []
        in_batch: set[str] = set()
        for index, record in enumerate(records):
            decoded = await self._decode(record)
            if isinstance(decoded, Outcome):
                outcomes[index] = decoded
            elif decoded.meta.id in in_batch:
                outcomes[index] = Outcome.DUPLICATE
            else:
                in_batch.add(decoded.meta.id)
                deliveries.append((index, decoded))
        if deliveries:
            await self._apply(deliveries, outcomes)
        result = [outcomes[i] for i in range(len(records))]
        for record, outcome in zip(records, result, strict=True):
            self._metrics.records.labels(record.topic, outcome.value).inc()
        return result

    async def _decode(self, record: IncomingRecord) -> Delivery | Outcome:
        try:
            meta = decode_meta(record.headers)
            model = self._types.get(meta.type)
            if model is None:
                log.debug("event type not handled by this consumer", ce_type=meta.type[:200])
                return Outcome.IGNORED
            event = decode_data(model, record.value, tolerant=True)
        except InvalidRecord as exc:
            return await self._dead_letter(record, exc.reason.value, exc)
        return Delivery(event, meta, record)

    async def _apply(
        self, items: Sequence[tuple[int, Delivery]], outcomes: dict[int, Outcome]
    ) -> None:
        """Apply `items` in one unit of work; split them if one of them keeps failing."""
        topic = items[0][1].record.topic
        attempt = 0
        while True:
            attempt += 1
            try:
                seen_before = await self._transaction([d for _, d in items])
            except DuplicateDelivery:
                # Another consumer committed some of these meanwhile: the inbox now knows them.
                if attempt >= self._retry.attempts_before_nack:
                    raise
                continue
            except Exception as exc:
                transient = is_transient(exc)
                kind = "transient" if transient else "unexpected"
                self._metrics.retries.labels(topic, kind).inc()
                log.warning(
                    "handler failed",
                    error_class=type(exc).__name__,
                    attempt=attempt,
                    kind=kind,
                    records=len(items),
                )
                if transient:
                    self._health.handling_failed()
                    if attempt >= self._retry.attempts_before_nack:
                        raise  # not acknowledged: the subscriber seeks back and tries again
                elif len(items) > 1:
                    middle = len(items) // 2
                    await self._apply(items[:middle], outcomes)
                    await self._apply(items[middle:], outcomes)
                    return
                elif isinstance(exc, RejectedEvent):
                    outcomes[items[0][0]] = await self._dead_letter(
                        items[0][1].record, "rejected", exc
                    )
                    return
                elif attempt >= self._retry.attempts_for_unexpected:
                    outcomes[items[0][0]] = await self._dead_letter(
                        items[0][1].record, "handler_error", exc
                    )
                    return
                await asyncio.sleep(self._backoff(attempt))
                continue
            self._health.handling_recovered()
            self._metrics.batches.labels(topic).inc()
            for index, delivery in items:
                duplicate = delivery.meta.id in seen_before
                outcomes[index] = Outcome.DUPLICATE if duplicate else Outcome.PROCESSED
            if seen_before:
                log.info("duplicate deliveries skipped", count=len(seen_before))
            return

    async def _transaction(self, batch: list[Delivery]) -> set[str]:
        """Run the handler over the batch's new events and commit; returns the ids seen before."""
        async with self._uow_factory() as uow:
            seen_before = await uow.already_consumed(self._group, [d.meta.id for d in batch])
            fresh = [d for d in batch if d.meta.id not in seen_before]
            if fresh:
                uow.consuming(ConsumedEvent(self._group, d.meta.id, d.meta.type) for d in fresh)
                await self._handler(fresh, uow)
                await uow.commit()
        return seen_before

    async def _dead_letter(
        self, record: IncomingRecord, reason: str, error: BaseException
    ) -> Outcome:
        await self._dead_letters.route(record, reason, error)
        self._metrics.dead_letters.labels(record.topic, reason).inc()
        log.warning(
            "record dead-lettered",
            reason=reason,
            error_class=type(error).__name__,
            partition=record.partition,
            offset=record.offset,
        )
        return Outcome.DEAD_LETTERED

    def _backoff(self, attempt: int) -> float:
        delay = self._retry.initial_delay_s * (2 ** (attempt - 1))
        return float(min(delay, self._retry.max_delay_s))
