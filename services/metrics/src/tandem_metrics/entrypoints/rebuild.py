"""`python -m tandem_metrics rebuild`: forget the facts and replay every topic from the start.

Run it with the service stopped. It reads each topic the service consumes from its first
retained record (without a consumer group: the service's committed offsets stay where they
are), applies every valid event in batches as the consumer would, and leaves the facts as the
live service would have built them: the projection does not depend on order or repetition.
Records that are not valid Tandem events (they went to the dead-letter topics) are skipped.
Erasure requests are applied again (the people erased are remembered, never replayed back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from tandem_contracts import Event, InvalidRecord, decode
from tandem_contracts.events import EmployeeErasureRequested
from tandem_contracts.topics import FEEDBACK, HR_EMPLOYEES, PAIRING, SCHEDULING
from tandem_metrics.adapters.facts import KINDS
from tandem_metrics.adapters.unit_of_work import MongoMetricsUnitOfWork
from tandem_metrics.service import privacy, projection
from tandem_metrics.settings import MetricsSettings
from tandem_servicekit.clock import Clock, SystemClock
from tandem_servicekit.logging import get_logger
from tandem_servicekit.mongo import make_client

TOPICS = (HR_EMPLOYEES, PAIRING, SCHEDULING, FEEDBACK)
BATCH = 500
log = get_logger("tandem.metrics.rebuild")


async def rebuild(settings: MetricsSettings, clock: Clock | None = None) -> int:
    """Replays the topics into fresh facts; how many events were applied."""
    client = make_client(settings.mongo)
    db = client[settings.mongo.database]
    for kind in KINDS:
        await db[kind].drop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers,
        enable_auto_commit=False,
        client_id=f"{settings.consumer_group}-rebuild",
        **settings.kafka.client_options(),
    )
    await consumer.start()
    applied = 0
    try:
        partitions = await _partitions(consumer, [settings.kafka.topic(t) for t in TOPICS])
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while await _behind(consumer, ends):
            fetched = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            events = [e for records in fetched.values() for e in _valid(records)]
            async with MongoMetricsUnitOfWork(
                client,
                settings.mongo.database,
                source=settings.source,
                clock=clock or SystemClock(),
            ) as uow:
                await _apply(events, uow)
                await uow.commit()
            applied += len(events)
    finally:
        await consumer.stop()
        await client.close()
    log.info("facts rebuilt", events=applied)
    return applied


async def _apply(events: Sequence[Event], uow: MongoMetricsUnitOfWork) -> None:
    run: list[Event] = []
    for event in events:
        if isinstance(event, EmployeeErasureRequested):
            await projection.apply(run, uow)
            run = []
            await privacy.erase(event.employee_id, uow)
        else:
            run.append(event)
    await projection.apply(run, uow)


async def _behind(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


async def _partitions(consumer: AIOKafkaConsumer, topics: list[str]) -> list[TopicPartition]:
    found: list[TopicPartition] = []
    for topic in topics:
        ids = consumer.partitions_for_topic(topic)
        for _ in range(20):
            if ids:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
            ids = consumer.partitions_for_topic(topic)
        found += [TopicPartition(topic, p) for p in sorted(ids or ())]
    return found


def _valid(records: Sequence[object]) -> list[Event]:
    events = []
    for record in records:
        headers = list(getattr(record, "headers", ()) or ())
        try:
            events.append(decode(headers, getattr(record, "value", None), tolerant=True).event)
        except InvalidRecord:
            continue
    return events
