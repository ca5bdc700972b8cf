"""Transactional outbox: state and events commit together; a crash never loses or doubles."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from tandem_contracts.events import EmployeeHired
from tandem_contracts.examples import example_events
from tandem_contracts.topics import HR_EMPLOYEES, TOPICS, TopicSpec
from tandem_devkit.embedded import free_port
from tandem_servicekit.clock import FakeClock
from tandem_servicekit.consumer import (
    ConsumerMetrics,
    DeadLetterRouter,
    EventConsumer,
    IncomingRecord,
    Outcome,
)
from tandem_servicekit.health import Health
from tandem_servicekit.mongo import Document, make_client
from tandem_servicekit.outbox import OutboxMetrics, OutboxRelay
from tandem_servicekit.publisher import KafkaPublisher, Publisher
from tandem_servicekit.settings import MongoSettings, OutboxSettings, ServiceSettings
from tandem_servicekit.testing import RecordingPublisher, read_topic
from tandem_servicekit.topics_admin import ensure_topics
from tandem_servicekit.uow import MongoUnitOfWork, ensure_runtime_indexes

HIRED = next(e for e in example_events() if isinstance(e, EmployeeHired))
CHILD = Path(__file__).with_name("outbox_crash_child.py")


def uow_for(client: AsyncMongoClient[Document], settings: ServiceSettings) -> MongoUnitOfWork:
    """A unit of work whose clock stands still: the publish order must not depend on it."""
    return MongoUnitOfWork(client, settings.mongo.database, source="/t", clock=FakeClock())


def relay_for(settings: ServiceSettings, publisher: Publisher) -> OutboxRelay:
    client = make_client(settings.mongo)
    return OutboxRelay(
        client[settings.mongo.database],
        publisher,
        OutboxSettings(batch_size=2),
        OutboxMetrics(CollectorRegistry()),
    )


async def test_state_and_events_commit_together_or_not_at_all(settings: ServiceSettings) -> None:
    client = make_client(settings.mongo)
    db = client[settings.mongo.database]

    async def fail_midway() -> None:
        async with uow_for(client, settings) as uow:
            await db["employees"].insert_one({"_id": "e-1"}, session=uow.session)
            uow.emit(HIRED)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_midway()
    assert await db["employees"].count_documents({}) == 0
    assert await db["outbox"].count_documents({}) == 0
    async with uow_for(client, settings) as uow:
        await db["employees"].insert_one({"_id": "e-1"}, session=uow.session)
        uow.emit(HIRED)
        await uow.commit()
    assert await db["employees"].count_documents({}) == 1
    assert await db["outbox"].count_documents({"published_at": None}) == 1
    await client.close()


async def test_relay_publishes_in_commit_order_and_marks_sent(settings: ServiceSettings) -> None:
    client = make_client(settings.mongo)
    ids = []
    for n in range(5):
        async with uow_for(client, settings) as uow:
            uow.emit(HIRED.model_copy(update={"job_level": n}))
            await uow.commit()
        ids += [r.meta.id for r in uow.outboxed]
    publisher = RecordingPublisher()
    relay = relay_for(settings, publisher)
    assert await relay.publish_pending() == 5
    assert [dict(r.headers)["ce_id"].decode() for r in publisher.sent] == ids
    assert await relay.publish_pending() == 0, "sent entries are not sent again"
    assert (
        await client[settings.mongo.database]["outbox"].count_documents({"published_at": None}) == 0
    )
    await client.close()


async def test_a_second_relay_waits_while_the_first_holds_the_lease(
    settings: ServiceSettings,
) -> None:
    client = make_client(settings.mongo)
    async with uow_for(client, settings) as uow:
        uow.emit(HIRED)
        await uow.commit()
    first, second = RecordingPublisher(), RecordingPublisher()
    assert await relay_for(settings, second).publish_pending() == 1
    async with uow_for(client, settings) as uow:
        uow.emit(HIRED)
        await uow.commit()
    assert await relay_for(settings, first).publish_pending() == 0
    assert first.sent == []
    await client.close()


def run_child(settings: ServiceSettings, mode: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            str(CHILD),
            settings.kafka.bootstrap_servers,
            settings.mongo.uri.get_secret_value(),
            settings.mongo.database,
            settings.kafka.topic_prefix,
            mode,
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()[-2000:]
    return result.stdout.decode().strip()


async def deliver_downstream(settings: ServiceSettings, topic: str, expected: int) -> list[Outcome]:
    """Feed every record on `topic` to an idempotent consumer with its own database."""
    records = await read_topic(settings.kafka.bootstrap_servers, topic, at_least=expected)
    client = make_client(settings.mongo)
    downstream_db = settings.mongo.database + "_downstream"
    applied = []

    async def apply(event: EmployeeHired, meta: object, uow: MongoUnitOfWork) -> None:
        applied.append(event.employee_id)
        await uow.db["effects"].insert_one({"employee": event.employee_id}, session=uow.session)

    consumer = EventConsumer.per_event(
        group="downstream",
        topic=HR_EMPLOYEES,
        topic_prefix=settings.kafka.topic_prefix,
        handlers={EmployeeHired: apply},
        uow_factory=lambda: MongoUnitOfWork(
            client, downstream_db, source="/downstream", clock=FakeClock()
        ),
        dead_letters=DeadLetterRouter(RecordingPublisher(), "downstream"),
        retry=settings.retry,
        health=Health(),
        metrics=ConsumerMetrics(CollectorRegistry()),
    )
    outcomes = [
        await consumer.process(
            IncomingRecord(r.topic, r.partition, r.offset, r.key, r.value, list(r.headers.items()))
        )
        for r in records
    ]
    assert await client[downstream_db]["effects"].count_documents({}) == 1, "one effect, ever"
    await client.close()
    return outcomes


@pytest.mark.parametrize(
    ("mode", "copies_on_kafka"),
    [("after_commit", 1), ("after_publish", 2)],
    ids=["killed-between-commit-and-publish", "killed-between-publish-and-mark"],
)
async def test_a_crash_is_recovered_on_restart_with_exactly_one_effect_downstream(
    settings: ServiceSettings, mode: str, copies_on_kafka: int
) -> None:
    topic = settings.kafka.topic(HR_EMPLOYEES)
    await ensure_topics(
        settings.kafka,
        [TopicSpec(settings.kafka.topic(t.name), t.partitions, "") for t in TOPICS],
    )
    event_id = run_child(settings, mode)
    client = make_client(settings.mongo)
    db = client[settings.mongo.database]
    assert await db["employees"].count_documents({}) == 1, "the state change was committed"
    pending = await db["outbox"].find_one({"_id": event_id})
    assert pending is not None
    assert pending["published_at"] is None, "the crash left the entry pending"
    await client.close()

    publisher = KafkaPublisher(settings.kafka, client_id="restarted")
    await publisher.start()
    restarted = relay_for(settings, publisher)
    try:
        # The dead relay's lease (1 s in the child) must run out before another takes over.
        if mode == "after_publish":
            assert await restarted.publish_pending() == 0
            await asyncio.sleep(1.2)
        assert await restarted.publish_pending() == 1
    finally:
        await publisher.stop()

    on_kafka = await read_topic(settings.kafka.bootstrap_servers, topic, at_least=copies_on_kafka)
    assert [r.headers["ce_id"].decode() for r in on_kafka] == [event_id] * copies_on_kafka
    outcomes = await deliver_downstream(settings, topic, copies_on_kafka)
    assert outcomes == [Outcome.PROCESSED] + [Outcome.DUPLICATE] * (copies_on_kafka - 1)


async def test_shutdown_is_bounded_when_the_database_is_gone() -> None:
    dead = MongoSettings(
        uri=f"mongodb://127.0.0.1:{free_port()}/?retryWrites=false",
        database="gone",
        server_selection_timeout_ms=30_000,
    )
    client = make_client(dead)
    relay = OutboxRelay(
        client["gone"], RecordingPublisher(), OutboxSettings(), OutboxMetrics(CollectorRegistry())
    )
    relay.start()
    started = time.monotonic()
    await relay.stop(timeout_s=0.5)
    assert time.monotonic() - started < 3.0
    await client.close()


async def test_published_entries_and_inbox_markers_expire(settings: ServiceSettings) -> None:
    client = make_client(settings.mongo)
    db = client[settings.mongo.database]
    await ensure_runtime_indexes(db, keep_published_s=600, keep_inbox_s=7200)
    await ensure_runtime_indexes(db, keep_published_s=900, keep_inbox_s=7200)  # changed: kept
    outbox = await db["outbox"].index_information()
    inbox = await db["inbox"].index_information()
    assert outbox["published_at_1"]["expireAfterSeconds"] == 900
    assert inbox["processed_at_1"]["expireAfterSeconds"] == 7200
    await client.close()
