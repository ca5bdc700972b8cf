"""The consumer pipeline's rules, with hand-written fakes (no broker, no database)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client import CollectorRegistry
from pymongo.errors import OperationFailure

from tandem_contracts import Event, EventMeta, encode
from tandem_contracts.events import EmployeeDeparted, EmployeeHired
from tandem_contracts.examples import example_events
from tandem_contracts.topics import HR_EMPLOYEES
from tandem_servicekit.consumer import (
    ConsumerMetrics,
    DeadLetterRouter,
    EventConsumer,
    EventHandler,
    IncomingRecord,
    Outcome,
)
from tandem_servicekit.dead_letters import MAX_DLQ_VALUE_BYTES
from tandem_servicekit.errors import RejectedEvent, TransientError
from tandem_servicekit.health import Health
from tandem_servicekit.settings import RetrySettings
from tandem_servicekit.testing import FakeUnitOfWork, RecordingPublisher

HIRED = next(e for e in example_events() if isinstance(e, EmployeeHired))
FAST = RetrySettings(
    initial_delay_s=0.001, max_delay_s=0.002, attempts_before_nack=3, conflict_budget_s=0.2
)


def record_of(event: Event = HIRED, offset: int = 0, event_id: str | None = None) -> IncomingRecord:
    out = encode(event, source="/hr/test", event_id=event_id)
    return IncomingRecord("hr.employees.v1", 0, offset, out.key, out.value, out.headers)


class Harness:
    def __init__(
        self,
        handler: EventHandler[FakeUnitOfWork],
        *,
        topic: str = HR_EMPLOYEES,
        database_up: Callable[[], Awaitable[bool]] | None = None,
        retry: RetrySettings = FAST,
    ) -> None:
        self.uow = FakeUnitOfWork()
        self.publisher = RecordingPublisher()
        self.health = Health()
        self.calls: list[str] = []
        self.consumer = EventConsumer.per_event(
            group="tandem-test",
            topic=topic,
            database_up=database_up,
            handlers={EmployeeHired: handler},
            uow_factory=lambda: self.uow,
            dead_letters=DeadLetterRouter(self.publisher, "tandem-test"),
            retry=retry,
            health=self.health,
            metrics=ConsumerMetrics(CollectorRegistry()),
        )


async def test_a_handled_event_commits_once_with_its_inbox_marker() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        uow.emit(
            EmployeeDeparted(
                employee_id=event.employee_id,
                departed_on=event.hired_on,
                effective_at=event.effective_at,
            )
        )

    h = Harness(handler)
    record = record_of(event_id="evt-1")
    assert await h.consumer.process(record) is Outcome.PROCESSED
    assert h.uow.commits == 1
    assert ("tandem-test", "/hr/test|evt-1") in h.uow.consumed_ids
    assert len(h.uow.published) == 1


async def test_a_redelivery_is_skipped() -> None:
    calls = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        calls.append(meta.id)

    h = Harness(handler)
    assert await h.consumer.process(record_of(event_id="evt-1")) is Outcome.PROCESSED
    assert await h.consumer.process(record_of(event_id="evt-1", offset=1)) is Outcome.DUPLICATE
    assert calls == ["evt-1"]


async def test_types_without_a_handler_are_ignored_not_dead_lettered() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise AssertionError("not for this type")

    h = Harness(handler)
    departed = next(e for e in example_events() if isinstance(e, EmployeeDeparted))
    assert await h.consumer.process(record_of(departed)) is Outcome.IGNORED
    assert h.publisher.sent == []


async def test_a_type_no_contract_defines_is_dead_lettered_naming_the_topics_types() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise AssertionError("never called")

    h = Harness(handler)
    good = record_of()
    typo_type = b"org.tandem.hr.employee_hird.v1"
    typo = [(k, typo_type if k == "ce_type" else v) for k, v in good.headers]
    record = IncomingRecord(good.topic, 0, 7, good.key, good.value, typo)
    assert await h.consumer.process(record) is Outcome.DEAD_LETTERED
    [sent] = h.publisher.sent
    headers = dict(sent.headers)
    assert headers["tandem_dlq_reason"] == b"unknown_type"
    message = headers["tandem_dlq_error_message"].decode()
    assert EmployeeHired.event_type in message
    assert EmployeeDeparted.event_type in message
    assert "employee_hird" not in message, "never echoes the rejected value"


async def test_an_invalid_record_goes_to_the_dlq_with_its_reason() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise AssertionError("never called")

    h = Harness(handler)
    good = record_of()
    bad = IncomingRecord(good.topic, 2, 41, good.key, b"{not json", good.headers)
    assert await h.consumer.process(bad) is Outcome.DEAD_LETTERED
    [sent] = h.publisher.sent
    headers = dict(sent.headers)
    assert sent.topic == "hr.employees.v1.dlq"
    assert sent.value == b"{not json"
    assert headers["tandem_dlq_reason"] == b"not_json"
    assert headers["tandem_dlq_error_class"] == b"InvalidRecord"
    assert headers["tandem_dlq_original_partition"] == b"2"
    assert headers["tandem_dlq_original_offset"] == b"41"


async def test_a_rejected_event_is_dead_lettered_without_retries() -> None:
    attempts = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        attempts.append(1)
        raise RejectedEvent("program is closed")

    h = Harness(handler)
    assert await h.consumer.process(record_of()) is Outcome.DEAD_LETTERED
    assert len(attempts) == 1
    assert dict(h.publisher.sent[0].headers)["tandem_dlq_reason"] == b"rejected"


async def test_transient_failures_are_retried_then_succeed() -> None:
    attempts = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise TransientError("database away")

    h = Harness(handler)
    assert await h.consumer.process(record_of()) is Outcome.PROCESSED
    assert len(attempts) == 3
    assert h.health.handling_ok
    assert h.uow.rollbacks == 2


async def test_a_lasting_outage_is_not_acknowledged_and_marks_unready() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise TransientError("database away")

    h = Harness(handler)
    with pytest.raises(TransientError):
        await h.consumer.process(record_of())
    assert not h.health.handling_ok
    assert h.publisher.sent == []


async def test_a_bug_is_retried_a_few_times_then_dead_lettered() -> None:
    attempts = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        attempts.append(1)
        raise KeyError("oops")

    h = Harness(handler)
    assert await h.consumer.process(record_of()) is Outcome.DEAD_LETTERED
    assert len(attempts) == FAST.attempts_for_unexpected
    headers = dict(h.publisher.sent[0].headers)
    assert headers["tandem_dlq_reason"] == b"handler_error"
    assert headers["tandem_dlq_error_class"] == b"KeyError"


async def test_a_batch_commits_once_and_a_bug_in_one_record_is_isolated() -> None:
    applied: list[str] = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        if meta.id == "evt-5":
            raise KeyError("a bug this record triggers")
        applied.append(meta.id)

    h = Harness(handler)
    records = [record_of(offset=n, event_id=f"evt-{n}") for n in range(8)]
    outcomes = await h.consumer.process_batch(records)
    assert outcomes[5] is Outcome.DEAD_LETTERED
    assert [o for i, o in enumerate(outcomes) if i != 5] == [Outcome.PROCESSED] * 7
    assert sorted(h.uow.consumed_ids) == sorted(
        ("tandem-test", f"/hr/test|evt-{n}") for n in range(8) if n != 5
    )
    assert dict(h.publisher.sent[0].headers)["tandem_dlq_reason"] == b"handler_error"
    assert h.uow.commits < 8, "split into halves, not one transaction per record"


async def test_a_batch_skips_duplicates_within_it_and_from_before() -> None:
    calls: list[str] = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        calls.append(meta.id)

    h = Harness(handler)
    await h.consumer.process(record_of(event_id="evt-0"))
    batch = [record_of(offset=1, event_id="evt-0"), record_of(offset=2, event_id="evt-1")]
    batch.append(record_of(offset=3, event_id="evt-1"))
    outcomes = await h.consumer.process_batch(batch)
    assert outcomes == [Outcome.DUPLICATE, Outcome.PROCESSED, Outcome.DUPLICATE]
    assert calls == ["evt-0", "evt-1"]


def test_a_stalled_consumer_shows_in_the_metric_and_readiness() -> None:
    registry = CollectorRegistry()
    health = Health(stall_after_s=0.0, registry=registry)
    health.busy("t")
    assert health.stalled() == ["t"]
    assert registry.get_sample_value("tandem_consumer_stalled", {"topic": "t"}) == 1.0
    health.idle("t")
    assert health.stalled() == []
    assert registry.get_sample_value("tandem_consumer_stalled", {"topic": "t"}) == 0.0


async def test_a_transient_looking_failure_with_the_database_up_is_bounded_then_dead_lettered() -> (
    None
):
    """A handler that keeps timing out while its database answers is not an outage: it must not
    hold the partition forever."""
    attempts: list[int] = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        attempts.append(1)
        raise TimeoutError("some call of the handler's own")

    async def database_up() -> bool:
        return True

    h = Harness(handler, database_up=database_up)
    outcome = await h.consumer.process(record_of())
    assert outcome is Outcome.DEAD_LETTERED
    assert h.health.handling_ok, "readiness untouched: the database was there all along"
    assert dict(h.publisher.sent[0].headers)["tandem_dlq_reason"] == b"handler_error"
    assert len(attempts) > 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"key": b"someone-else"}, b"key_mismatch"),
        ({"key": None}, b"key_mismatch"),
        ({"value": None}, b"null_value"),
        ({"topic": "tandem.pairing.v1"}, b"wrong_topic"),
    ],
    ids=["other-key", "no-key", "null-value", "hr-event-on-pairing-topic"],
)
async def test_records_that_cannot_belong_here_are_dead_lettered_with_a_reason(
    change: dict[str, object], reason: bytes
) -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise AssertionError("never called")

    h = Harness(handler, topic=str(change.pop("topic", HR_EMPLOYEES)))
    good = record_of()
    record = dataclasses.replace(good, **change)  # type: ignore[arg-type]
    assert await h.consumer.process(record) is Outcome.DEAD_LETTERED
    [sent] = h.publisher.sent
    assert dict(sent.headers)["tandem_dlq_reason"] == reason
    assert sent.value == record.value, "a null value stays null in the DLQ"


async def test_a_reused_event_id_with_another_value_is_a_conflict_not_a_duplicate() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        pass

    h = Harness(handler)
    first = record_of(event_id="evt-1")
    other = record_of(HIRED.model_copy(update={"job_level": 9}), offset=1, event_id="evt-1")
    assert await h.consumer.process(first) is Outcome.PROCESSED
    assert await h.consumer.process(first) is Outcome.DUPLICATE
    assert await h.consumer.process(other) is Outcome.DEAD_LETTERED
    in_one_batch = await h.consumer.process_batch(
        [
            record_of(event_id="evt-2"),
            record_of(HIRED.model_copy(update={"job_level": 8}), event_id="evt-2"),
        ]
    )
    assert in_one_batch == [Outcome.PROCESSED, Outcome.DEAD_LETTERED]
    reasons = [dict(s.headers)["tandem_dlq_reason"] for s in h.publisher.sent]
    assert reasons == [b"conflicting_duplicate", b"conflicting_duplicate"]


async def test_an_oversized_record_is_dead_lettered_in_a_bounded_copy_with_its_digest() -> None:
    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        raise AssertionError("never called")

    h = Harness(handler)
    good = record_of()
    huge = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    headers = [*good.headers, ("x-big", b"y" * 100_000), ("x-null", None)]
    record = dataclasses.replace(good, value=huge, headers=headers)
    assert await h.consumer.process(record) is Outcome.DEAD_LETTERED
    [sent] = h.publisher.sent
    meta = dict(sent.headers)
    assert meta["tandem_dlq_reason"] == b"oversized"
    assert sent.value is not None
    assert len(sent.value) == MAX_DLQ_VALUE_BYTES
    assert meta["tandem_dlq_value_bytes"] == str(len(huge)).encode()
    assert meta["tandem_dlq_value_sha256"] == hashlib.sha256(huge).hexdigest().encode()
    assert b"value" in meta["tandem_dlq_truncated"]
    assert len(meta["x-big"]) <= 4096
    assert meta["x-null"] == b""


async def test_a_write_conflict_that_clears_is_retried_without_touching_readiness() -> None:
    attempts: list[int] = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        attempts.append(1)
        if len(attempts) < 4:
            raise OperationFailure("WriteConflict", code=112)

    async def database_up() -> bool:
        return True

    h = Harness(handler, database_up=database_up)
    assert await h.consumer.process(record_of()) is Outcome.PROCESSED
    assert len(attempts) == 4
    assert h.health.handling_ok
    assert h.publisher.sent == []


async def test_a_batch_that_keeps_losing_write_conflicts_is_split_not_starved() -> None:
    """Transactions of more than two records always lose (as a large batch loses to a stream
    of small HTTP commands); the halves win long before the conflict budget runs out."""
    failed: list[int] = []

    async def handler(event: EmployeeHired, meta: EventMeta, uow: FakeUnitOfWork) -> None:
        if len(uow.consumed) > 2:
            failed.append(len(uow.consumed))
            raise OperationFailure("WriteConflict", code=112)

    async def database_up() -> bool:
        return True

    patient = FAST.model_copy(update={"conflict_budget_s": 600.0})
    h = Harness(handler, database_up=database_up, retry=patient)
    records = [record_of(offset=n, event_id=f"evt-{n}") for n in range(8)]
    outcomes = await asyncio.wait_for(h.consumer.process_batch(records), 10)
    assert outcomes == [Outcome.PROCESSED] * 8
    assert failed == [8, 8, 4, 4, 4, 4], "two tries per size, then halves"
    assert h.publisher.sent == [], "nothing dead-lettered"
