"""The pipeline every consumed record goes through, one record or a whole batch at a time.

Per record: read the CloudEvents headers → a Tandem type of the topic that this consumer does not
handle is acknowledged and counted; a type no Tandem contract defines is dead-lettered (a typo or
a foreign producer, not something to skip silently) → validate the
value tolerantly (unknown fields ignored) → an invalid record goes to `<topic>.dlq` with its
reason. The valid records of a batch are then applied in ONE unit of work: the inbox filters
redeliveries, the handler changes state (bulk writes where it can), and the commit records every
event id with the state change and the outgoing events.

A record that makes the batch fail for good is isolated by bisection: the halves are applied
separately until the culprit stands alone; it then gets the per-record treatment (a rejection or
a bug that persists over a few attempts → DLQ) while the records around it are applied. An
outage is retried with bounded exponential backoff and, past the budget, the batch is not
acknowledged (the subscriber seeks back), so nothing is lost and nothing skipped. A batch
that keeps losing write conflicts is split too (smaller transactions win the races).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter

from tandem_contracts import Event, EventMeta, InvalidReason, InvalidRecord, model_for
from tandem_contracts.cloudevents import (
    H_TYPE,
    decode_data,
    decode_meta,
    header_value,
    unknown_type_message,
)
from tandem_contracts.registry import events_on
from tandem_servicekit.dead_letters import DeadLetterRouter
from tandem_servicekit.errors import RejectedEvent, is_transient
from tandem_servicekit.health import Health
from tandem_servicekit.logging import get_logger
from tandem_servicekit.records import IncomingRecord
from tandem_servicekit.settings import RetrySettings
from tandem_servicekit.uow import ConsumedEvent, DuplicateDelivery, TrackingUnitOfWork

__all__ = ["DeadLetterRouter", "IncomingRecord"]

U = TypeVar("U", bound=TrackingUnitOfWork)
log = get_logger("tandem.consumer")


SPLIT_AFTER_CONFLICTS = 2
"""A batch that lost this many write conflicts in a row is split: one large transaction loses
every race against a steady stream of small ones (HTTP commands on the same documents), its
halves do not. A single record is retried for `retry.conflict_budget_s`."""
REJECTED = "rejected"
HANDLER_ERROR = "handler_error"
"""DLQ reasons of records that decoded but failed in the use case (the others are the
codec's and the pipeline's checks: `InvalidReason`)."""


@dataclass(frozen=True)
class Delivery:
    """A consumed record that decoded into an event this consumer handles."""

    event: Event
    meta: EventMeta
    record: IncomingRecord

    @property
    def identity(self) -> str:
        """What dedupes it: CloudEvents only promise `source` + `id` to be unique."""
        return f"{self.meta.source}|{self.meta.id}"


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


class EventConsumer(Generic[U]):
    """Runs one consumer group's handler for the event types it handles, a batch at a time.

    Failure policy, the same for every error: a record that fails the same way over its budget
    goes to the DLQ. An outage of the service's own database is the one exception: it pauses
    consumption (retried with backoff, readiness 503) and dead-letters nothing. A failure that
    looks transient while the database answers (a write conflict, say with the unfinished
    transaction of a killed process) is retried without touching readiness, for
    `retry.conflict_budget_s`, then treated as any other failure.
    """

    def __init__(
        self,
        *,
        group: str,
        topic: str,
        topic_prefix: str = "",
        types: Iterable[type[Event]],
        handler: BatchHandler[U],
        uow_factory: Callable[[], U],
        dead_letters: DeadLetterRouter,
        retry: RetrySettings,
        health: Health,
        metrics: ConsumerMetrics,
        database_up: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._group = group
        self._contract_topic = topic
        self._topic = topic_prefix + topic
        self._types = {t.event_type: t for t in types}
        self._unknown_type = unknown_type_message(m.event_type for m in events_on(topic))
        self._handler = handler
        self._uow_factory = uow_factory
        self._dead_letters = dead_letters
        self._retry = retry
        self._health = health
        self._metrics = metrics
        self._database_up = database_up
        self._dead: list[tuple[IncomingRecord, str, BaseException]] = []

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
        """Every record's outcome, in order. Raises only for an outage past the retry budget
        (the batch is then not acknowledged and comes again)."""
        outcomes: dict[int, Outcome] = {}
        deliveries: list[tuple[int, Delivery]] = []
        digests: dict[str, str] = {}
        self._dead = []  # one batch at a time: faststream runs a subscriber's calls in turn
        self._health.busy(self._topic)
        try:
            for index, record in enumerate(records):
                decoded = await self._decode(record)
                if isinstance(decoded, Outcome):
                    outcomes[index] = decoded
                elif decoded.identity not in digests:
                    digests[decoded.identity] = record.digest
                    deliveries.append((index, decoded))
                elif digests[decoded.identity] == record.digest:
                    outcomes[index] = Outcome.DUPLICATE
                else:
                    outcomes[index] = await self._conflicting(record)
            if deliveries:
                await self._apply(deliveries, outcomes)
            # Only now that the batch will be acknowledged: an outage that makes it come again
            # must not copy its poison records to the DLQ once per attempt.
            for record, reason, error in self._dead:
                await self._dead_letters.route(record, reason, error)
        finally:
            self._health.idle(self._topic)
        result = [outcomes[i] for i in range(len(records))]
        for outcome in result:
            self._metrics.records.labels(self._topic, outcome.value).inc()
        return result

    async def _decode(self, record: IncomingRecord) -> Delivery | Outcome:
        """Headers first: a Tandem type of this topic that this consumer does not handle is
        ignored before its value is read; a type no Tandem service knows is dead-lettered
        (`unknown_type`, naming the types of this topic). Every failure of any kind here is a
        DLQ reason, never a retry."""
        try:
            named = header_value(record.headers, H_TYPE)
            if named is not None and named not in self._types and model_for(named) is None:
                raise InvalidRecord(InvalidReason.UNKNOWN_TYPE, self._unknown_type)
            meta = decode_meta(record.headers, record.value)
            model = self._types.get(meta.type) or model_for(meta.type)
            if model is None:
                raise InvalidRecord(InvalidReason.UNKNOWN_TYPE, self._unknown_type)
            if model.topic != self._contract_topic:
                message = f"{model.__name__} travels on {model.topic}, not here"
                raise InvalidRecord(InvalidReason.WRONG_TOPIC, message)
            if meta.type not in self._types:
                log.debug("event type not handled by this consumer")
                return Outcome.IGNORED
            event = decode_data(model, record.value, tolerant=True)
            if record.key != event.aggregate_id().encode():
                message = f"the record key is not the {model.key_field}"
                raise InvalidRecord(InvalidReason.KEY_MISMATCH, message)
        except InvalidRecord as exc:
            return await self._dead_letter(record, exc.reason.value, exc)
        except Exception as exc:
            return await self._dead_letter(record, InvalidReason.UNDECODABLE.value, exc)
        return Delivery(event, meta, record)

    async def _apply(
        self, items: Sequence[tuple[int, Delivery]], outcomes: dict[int, Outcome]
    ) -> None:
        """Apply `items` in one unit of work; split them if one of them keeps failing."""
        attempt = 0
        conflicted_since: float | None = None
        while True:
            attempt += 1
            try:
                seen_before = await self._transaction([d for _, d in items])
            except DuplicateDelivery:
                # Another consumer committed some of these meanwhile: the inbox now knows them.
                continue
            except Exception as exc:
                kind = await self._kind_of(exc)
                self._metrics.retries.labels(self._topic, kind).inc()
                log.warning(
                    "handler failed",
                    error_class=type(exc).__name__,
                    attempt=attempt,
                    kind=kind,
                    records=len(items),
                )
                if kind == "outage":
                    self._health.outage(self._topic)
                    if attempt >= self._retry.attempts_before_nack:
                        raise  # not acknowledged: the subscriber seeks back and tries again
                else:
                    if kind == "conflict" and (len(items) == 1 or attempt < SPLIT_AFTER_CONFLICTS):
                        conflicted_since = conflicted_since or time.monotonic()
                        waited = time.monotonic() - conflicted_since
                        if waited < self._retry.conflict_budget_s:
                            await asyncio.sleep(self._backoff(attempt))
                            continue
                    if len(items) > 1:
                        middle = len(items) // 2
                        await self._apply(items[:middle], outcomes)
                        await self._apply(items[middle:], outcomes)
                        return
                    index, delivery = items[0]
                    if isinstance(exc, RejectedEvent) or kind == "conflict":
                        reason = REJECTED if isinstance(exc, RejectedEvent) else HANDLER_ERROR
                        outcomes[index] = await self._dead_letter(delivery.record, reason, exc)
                        return
                    if attempt >= self._retry.attempts_for_unexpected:
                        outcomes[index] = await self._dead_letter(
                            delivery.record, HANDLER_ERROR, exc
                        )
                        return
                await asyncio.sleep(self._backoff(attempt))
                continue
            self._health.recovered(self._topic)
            self._metrics.batches.labels(self._topic).inc()
            for index, delivery in items:
                previous = seen_before.get(delivery.identity, False)
                if previous is False:
                    outcomes[index] = Outcome.PROCESSED
                elif previous in (None, delivery.record.digest):
                    outcomes[index] = Outcome.DUPLICATE
                else:
                    outcomes[index] = await self._conflicting(delivery.record)
            return

    async def _kind_of(self, exc: BaseException) -> str:
        """`outage` (own database unreachable), `conflict` (transient-looking while it
        answers) or `unexpected`."""
        if not is_transient(exc):
            return "unexpected"
        if self._database_up is not None and await self._database_up():
            return "conflict"
        return "outage"

    async def _transaction(self, batch: list[Delivery]) -> dict[str, str | None]:
        """Run the handler over the batch's new events and commit; returns the ids seen before
        with the value digest stored for each."""
        async with self._uow_factory() as uow:
            seen_before = await uow.already_consumed(self._group, [d.identity for d in batch])
            fresh = [d for d in batch if d.identity not in seen_before]
            if fresh:
                uow.consuming(
                    ConsumedEvent(self._group, d.identity, d.meta.type, d.record.digest)
                    for d in fresh
                )
                await self._handler(fresh, uow)
                await uow.commit()
        return seen_before

    async def _conflicting(self, record: IncomingRecord) -> Outcome:
        error = InvalidRecord(
            InvalidReason.CONFLICTING_DUPLICATE,
            "this ce_source and ce_id were consumed before with a different value",
        )
        return await self._dead_letter(record, error.reason.value, error)

    async def _dead_letter(
        self, record: IncomingRecord, reason: str, error: BaseException
    ) -> Outcome:
        """Queue the DLQ copy; `process_batch` sends them once the batch is settled."""
        self._dead.append((record, reason, error))
        self._metrics.dead_letters.labels(self._topic, reason).inc()
        log.warning(
            "record dead-lettered",
            reason=reason,
            error_class=type(error).__name__,
            partition=record.partition,
            offset=record.offset,
        )
        return Outcome.DEAD_LETTERED

    def _backoff(self, attempt: int) -> float:
        delay = self._retry.initial_delay_s * (2 ** min(attempt - 1, 20))
        return float(min(delay, self._retry.max_delay_s))
