"""The consumer pipeline on the real broker and database: DLQ, dedupe, retries, log context."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import structlog

from tandem_contracts import EventMeta, encode
from tandem_contracts.events import EmployeeHired
from tandem_contracts.examples import example_events
from tandem_contracts.topics import HR_EMPLOYEES
from tandem_servicekit.errors import TransientError
from tandem_servicekit.publisher import KafkaPublisher
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import ServiceSettings
from tandem_servicekit.testing import read_topic
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
        await uow.commit()


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


async def produce(
    settings: ServiceSettings, *records: tuple[bytes, bytes | None, list[tuple[str, bytes]]]
) -> None:
    publisher = KafkaPublisher(settings.kafka, client_id="test-producer")
    await publisher.start()
    try:
        for key, value, headers in records:
            await publisher.send(
                settings.kafka.topic(HR_EMPLOYEES), key=key, value=value, headers=headers
            )
    finally:
        await publisher.stop()


async def wait_for(check: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


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

    await wait_for(stored)
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

    await wait_for(all_seen)
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

    await wait_for(stored)
    assert len(recorder.contexts) == 3
    context = recorder.contexts[-1]
    assert context["ce_id"] == good.meta.id
    assert context["ce_type"] == HIRED.event_type
    assert context["topic"] == settings.kafka.topic(HR_EMPLOYEES)
    assert isinstance(context["partition"], int)
    assert isinstance(context["offset"], int)
    retries = runtime.registry.get_sample_value(
        "tandem_consumer_retries_total",
        {"topic": settings.kafka.topic(HR_EMPLOYEES), "kind": "transient"},
    )
    assert retries == 2
    assert runtime.health.handling_ok
