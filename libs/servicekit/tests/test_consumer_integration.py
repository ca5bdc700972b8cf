"""The consumer pipeline on the real broker and database: DLQ, dedupe, retries, log context."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import structlog

from tandem_contracts import EventMeta, encode
from tandem_contracts.events import EmployeeHired, PairCreated, PairEnded
from tandem_contracts.examples import example_events
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING
from tandem_servicekit.consumer import Delivery
from tandem_servicekit.errors import RejectedEvent, TransientError
from tandem_servicekit.publisher import KafkaPublisher, ProducerRecord
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.testing import read_topic, wait_until
from tandem_servicekit.uow import MongoUnitOfWork

HIRED = next(e for e in example_events() if isinstance(e, EmployeeHired))


class Recorder:
    """A use case that stores each hire it sees, failing transiently on request."""

    def __init__(self) -> None:
        self.fail_next = 0
        self.contexts: list[dict[str, Any]] = []

    async def __call__(self, event: EmployeeHired, meta: EventMeta, uow: MongoUnitOfWork) -> None:
        self.contexts.append(structlog.contextvars.get_contextvars())
        if self.fail_next:
            self.fail_next -= 1
            raise TransientError("simulated outage")
        await uow.db["hires"].insert_one(
            {"_id": meta.id, "employee_id": event.employee_id}, session=uow.session
        )


@pytest.fixture
async def running(
    settings: ServiceSettings,
) -> AsyncIterator[tuple[ServiceRuntime[MongoUnitOfWork], Recorder]]:
    recorder = Recorder()
    runtime = ServiceRuntime(settings, MongoUnitOfWork)
    runtime.subscribe(HR_EMPLOYEES, {EmployeeHired: recorder})
    await runtime.start()
    try:
        yield runtime, recorder
    finally:
        await runtime.stop()


Produced = tuple[bytes, bytes | None, list[tuple[str, bytes]]]


async def produce(settings: ServiceSettings, *records: Produced) -> None:
    await produce_to(settings, HR_EMPLOYEES, *records)


async def produce_to(settings: ServiceSettings, topic: str, *records: Produced) -> None:
    publisher = KafkaPublisher(settings.kafka, client_id="test-producer")
    await publisher.start()
    try:
        await publisher.send_many(
            [ProducerRecord(settings.kafka.topic(topic), k, v, h) for k, v, h in records]
        )
    finally:
        await publisher.stop()


def counter(runtime: ServiceRuntime[MongoUnitOfWork], outcome: str, topic: str) -> float:
    value = runtime.registry.get_sample_value(
        "tandem_consumer_records_total", {"topic": topic, "outcome": outcome}
    )
    return value or 0.0


async def test_poison_goes_to_dlq_and_the_record_behind_it_is_processed(
    running: tuple[ServiceRuntime[MongoUnitOfWork], Recorder], settings: ServiceSettings
) -> None:
    runtime, _ = running
    good = encode(HIRED, source="/hr/test")
    poison_headers = [(k, v) for k, v in good.headers if k != "ce_id"]
    await produce(
        settings,
        (good.key, b'{"employee_id": 42', poison_headers),
        (good.key, good.value, list(good.headers)),
    )

    async def stored() -> bool:
        return await runtime.db["hires"].count_documents({"_id": good.meta.id}) == 1

    await wait_until(stored)
    topic = settings.kafka.topic(HR_EMPLOYEES)
    [dead] = await read_topic(settings.kafka.bootstrap_servers, topic + ".dlq", at_least=1)
    assert dead.value == b'{"employee_id": 42'
    assert dead.key == good.key
    assert dead.headers["tandem_dlq_reason"] == b"missing_header"
    assert b"ce_id" in dead.headers["tandem_dlq_error_message"]
    assert dead.headers["tandem_dlq_original_topic"] == topic.encode()
    originals = await read_topic(settings.kafka.bootstrap_servers, topic, at_least=2)
    poison, valid = originals
    assert poison.partition == valid.partition, "both keyed alike: same partition"
    assert dead.headers["tandem_dlq_original_partition"] == str(poison.partition).encode()
    assert dead.headers["tandem_dlq_original_offset"] == str(poison.offset).encode()
    assert valid.offset > poison.offset


async def test_a_duplicate_delivery_changes_nothing(
    running: tuple[ServiceRuntime[MongoUnitOfWork], Recorder], settings: ServiceSettings
) -> None:
    runtime, _ = running
    good = encode(HIRED, source="/hr/test")
    await produce(settings, *[(good.key, good.value, list(good.headers))] * 3)
    topic = settings.kafka.topic(HR_EMPLOYEES)

    async def all_seen() -> bool:
        return (
            counter(runtime, "duplicate", topic) == 2 and counter(runtime, "processed", topic) == 1
        )

    await wait_until(all_seen)
    assert await runtime.db["hires"].count_documents({}) == 1
    assert await runtime.db["inbox"].count_documents({}) == 1


async def test_transient_failures_are_retried_and_handlers_log_with_record_identity(
    running: tuple[ServiceRuntime[MongoUnitOfWork], Recorder], settings: ServiceSettings
) -> None:
    runtime, recorder = running
    recorder.fail_next = 2
    good = encode(HIRED, source="/hr/test")
    await produce(settings, (good.key, good.value, list(good.headers)))

    async def stored() -> bool:
        return await runtime.db["hires"].count_documents({"_id": good.meta.id}) == 1

    await wait_until(stored)
    assert len(recorder.contexts) == 3
    context = recorder.contexts[-1]
    assert context["ce_id"] == good.meta.id
    assert context["ce_type"] == HIRED.event_type
    assert context["topic"] == settings.kafka.topic(HR_EMPLOYEES)
    assert isinstance(context["partition"], int)
    assert isinstance(context["offset"], int)
    retries = runtime.registry.get_sample_value(
        "tandem_consumer_retries_total",
        {"topic": settings.kafka.topic(HR_EMPLOYEES), "kind": "conflict"},
    )
    assert retries == 2
    assert runtime.health.handling_ok


class BatchRecorder:
    """A batch use case storing every hire with one bulk write; rejects one chosen employee."""

    def __init__(self, reject: str | None = None) -> None:
        self.reject = reject
        self.batch_sizes: list[int] = []

    async def __call__(self, batch: Sequence[Delivery], uow: MongoUnitOfWork) -> None:
        self.batch_sizes.append(len(batch))
        docs = []
        for delivery in batch:
            assert isinstance(delivery.event, EmployeeHired)
            if delivery.event.employee_id == self.reject:
                raise RejectedEvent("this employee cannot be hired")
            docs.append({"_id": delivery.meta.id, "employee_id": delivery.event.employee_id})
        await uow.db["hires"].insert_many(docs, session=uow.session)


async def test_a_batch_is_one_transaction_and_a_poison_record_is_split_off_alone(
    settings: ServiceSettings,
) -> None:
    hires = [HIRED.model_copy(update={"employee_id": f"e-{n:03d}"}) for n in range(120)]
    records = [encode(h, source="/hr/test") for h in hires]
    await produce(settings, *[(r.key, r.value, list(r.headers)) for r in records])
    recorder = BatchRecorder(reject="e-077")
    runtime = ServiceRuntime(settings, MongoUnitOfWork)
    runtime.subscribe_batch(HR_EMPLOYEES, [EmployeeHired], recorder, max_records=500)
    await runtime.start()
    try:

        async def stored() -> bool:
            return await runtime.db["hires"].count_documents({}) == 119

        await wait_until(stored)
        topic = settings.kafka.topic(HR_EMPLOYEES)
        [dead] = await read_topic(settings.kafka.bootstrap_servers, topic + ".dlq", at_least=1)
        assert dead.headers["tandem_dlq_reason"] == b"rejected"
        assert dead.key == b"e-077"
        assert await runtime.db["inbox"].count_documents({}) == 119
        transactions = runtime.registry.get_sample_value(
            "tandem_consumer_transactions_total", {"topic": topic}
        )
        assert transactions is not None
        assert transactions < 40, f"{transactions} transactions for 120 records: not batched"
        assert max(recorder.batch_sizes) > 1
    finally:
        await runtime.stop()


async def test_a_tolerant_reader_ignores_added_fields_and_types_but_not_missing_fields(
    settings: ServiceSettings,
) -> None:
    """An additive change upstream must not dead-letter a consumer that was not redeployed; a
    type that no contract defines is no additive change but a mistake, and is dead-lettered."""
    seen: list[str] = []

    async def on_pair(event: PairCreated, meta: EventMeta, uow: MongoUnitOfWork) -> None:
        seen.append(event.pair_id)

    runtime = ServiceRuntime(settings, MongoUnitOfWork)
    runtime.subscribe(PAIRING, {PairCreated: on_pair})
    created = next(e for e in example_events() if isinstance(e, PairCreated))
    grown = encode(created.model_copy(update={"pair_id": "pair-grown"}), source="/tandem/pairing")
    value = json.loads(grown.value)
    value["added_in_a_later_release"] = {"any": "thing"}
    value["mentor"]["nickname"] = "nested fields too"
    unknown = [
        (k, b"org.tandem.pairing.pair_renamed.v1" if k == "ce_type" else v)
        for k, v in grown.headers
    ]
    missing = encode(created.model_copy(update={"pair_id": "pair-bad"}), source="/t")
    broken = json.loads(missing.value)
    del broken["session_minutes"]
    last = encode(created.model_copy(update={"pair_id": "pair-last"}), source="/t")
    ended = encode(next(e for e in example_events() if isinstance(e, PairEnded)), source="/t")
    await produce_to(
        settings,
        PAIRING,
        (grown.key, json.dumps(value).encode(), list(grown.headers)),
        (grown.key, b'{"whatever": 1}', unknown),
        (ended.key, ended.value, list(ended.headers)),
        (missing.key, json.dumps(broken).encode(), list(missing.headers)),
        (last.key, last.value, list(last.headers)),
    )
    await runtime.start()
    try:
        topic = settings.kafka.topic(PAIRING)

        async def done() -> bool:
            ignored = counter(runtime, "ignored", topic) == 1
            return ignored and {"pair-grown", "pair-last"} <= set(seen)

        await wait_until(done)
        assert sorted(seen) == ["pair-grown", "pair-last"], "each once, the broken one never"
        assert counter(runtime, "ignored", topic) == 1
        dead = await read_topic(settings.kafka.bootstrap_servers, topic + ".dlq", at_least=2)
        reasons = {d.headers["tandem_dlq_reason"]: d for d in dead}
        assert set(reasons) == {b"invalid_data", b"unknown_type"}, "the added field is not"
        assert reasons[b"invalid_data"].key == missing.key
        assert b"session_minutes" in reasons[b"invalid_data"].headers["tandem_dlq_error_message"]
        message = reasons[b"unknown_type"].headers["tandem_dlq_error_message"]
        assert PairCreated.event_type.encode() in message, "names the types of the topic"
    finally:
        await runtime.stop()


class Blocked:
    """A use case that waits until released: records pile up behind it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, event: EmployeeHired, meta: EventMeta, uow: MongoUnitOfWork) -> None:
        await self.release.wait()


async def test_readiness_and_uncommitted_records_are_metrics(settings: ServiceSettings) -> None:
    blocked = Blocked()
    runtime = ServiceRuntime(settings, MongoUnitOfWork)
    runtime.subscribe(HR_EMPLOYEES, {EmployeeHired: blocked})
    runtime.watch.interval_s = 0.1
    await runtime.start()
    topic = settings.kafka.topic(HR_EMPLOYEES)

    def lag() -> float:
        samples = [
            s
            for metric in runtime.registry.collect()
            if metric.name == "tandem_consumer_lag_records"
            for s in metric.samples
            if s.labels["topic"] == topic
        ]
        return sum(s.value for s in samples)

    try:
        assert await wait_until(lambda: _is(runtime, "tandem_service_ready", 1.0)) >= 0
        record = encode(HIRED, source="/hr/lag")
        await produce(settings, *[(record.key, record.value, list(record.headers))] * 5)

        async def behind() -> bool:  # the one in the handler was fetched: before the group's
            return lag() >= 4  # first commit, what was fetched counts as done

        await wait_until(behind, what="uncommitted records show as lag")
        blocked.release.set()

        async def caught_up() -> bool:
            return lag() == 0

        await wait_until(caught_up, what="lag back to 0 once the records are stored")
    finally:
        blocked.release.set()
        await runtime.stop()


async def _is(runtime: ServiceRuntime[MongoUnitOfWork], name: str, value: float) -> bool:
    return runtime.registry.get_sample_value(name) == value
