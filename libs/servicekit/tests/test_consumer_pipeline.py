"""The consumer pipeline's rules, with hand-written fakes (no broker, no database)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from tandem_contracts import Event, EventMeta, encode
from tandem_contracts.events import EmployeeDeparted, EmployeeHired
from tandem_contracts.examples import example_events
from tandem_servicekit.consumer import (
    ConsumerMetrics,
    DeadLetterRouter,
    EventConsumer,
    EventHandler,
    IncomingRecord,
    Outcome,
)
from tandem_servicekit.errors import RejectedEvent, TransientError
from tandem_servicekit.health import Health
from tandem_servicekit.settings import RetrySettings
from tandem_servicekit.testing import FakeUnitOfWork, RecordingPublisher

HIRED = next(e for e in example_events() if isinstance(e, EmployeeHired))
FAST = RetrySettings(initial_delay_s=0.001, max_delay_s=0.002, attempts_before_nack=3)


def record_of(event: Event = HIRED, offset: int = 0, event_id: str | None = None) -> IncomingRecord:
    out = encode(event, source="/hr/test", event_id=event_id)
    return IncomingRecord("hr.employees.v1", 0, offset, out.key, out.value, out.headers)


class Harness:
    def __init__(self, handler: EventHandler[FakeUnitOfWork]) -> None:
        self.uow = FakeUnitOfWork()
        self.publisher = RecordingPublisher()
        self.health = Health()
        self.calls: list[str] = []
        self.consumer = EventConsumer.per_event(
            group="tandem-test",
            handlers={EmployeeHired: handler},
            uow_factory=lambda: self.uow,
            dead_letters=DeadLetterRouter(self.publisher, "tandem-test"),
            retry=FAST,
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
    assert ("tandem-test", "evt-1") in h.uow.consumed_ids
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
        ("tandem-test", f"evt-{n}") for n in range(8) if n != 5
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
