"""Test support shared by every service: hand-written fakes and a Kafka topic reader.

The fakes stand in for the database and broker in unit tests of use cases only; integration and
end-to-end tests use the real embedded servers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition

from tandem_servicekit.uow import UnitOfWork


class FakeUnitOfWork(UnitOfWork):
    """Records what a use case committed; `published` holds the events of every commit."""

    def __init__(self) -> None:
        super().__init__()
        self.commits = 0
        self.published: list[object] = []
        self.consumed_ids: set[tuple[str, str]] = set()
        self.rollbacks = 0

    @property
    def source(self) -> str:
        return "/tandem/test"

    async def already_consumed(self, group: str, event_id: str) -> bool:
        return (group, event_id) in self.consumed_ids

    async def _begin(self) -> None:
        self.pending = []
        self.consumed = None
        self.committed = False

    async def _commit(self) -> None:
        self.commits += 1
        self.published.extend(self.pending)
        if self.consumed is not None:
            self.consumed_ids.add((self.consumed.group, self.consumed.event_id))
        self.pending = []

    async def _rollback(self) -> None:
        self.rollbacks += 1
        self.pending = []


@dataclass
class SentRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


@dataclass
class RecordingPublisher:
    """A publisher that remembers what it was asked to send."""

    sent: list[SentRecord] = field(default_factory=list)

    async def send(
        self,
        topic: str,
        *,
        key: bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        partition: int | None = None,
    ) -> None:
        self.sent.append(SentRecord(topic, key, value, list(headers)))


@dataclass(frozen=True)
class ReadRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


async def read_topic(
    bootstrap: str, topic: str, *, at_least: int, timeout_s: float = 15.0
) -> list[ReadRecord]:
    """Every record on `topic` from the beginning, waiting until `at_least` have arrived.

    `at_least=0` reads what is there now: until a poll comes back empty. Reads without a consumer
    group (partitions assigned by hand), so it never disturbs the groups under test. Returns what
    it has when the timeout passes.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions: set[int] | None = None
        deadline = time.monotonic() + timeout_s
        while partitions is None and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if partitions is None:
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.1)
        if partitions is None:
            return []
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        found: list[ReadRecord] = []
        while (at_least == 0 or len(found) < at_least) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            if at_least == 0 and not batch:
                break
            for records in batch.values():
                found.extend(
                    ReadRecord(
                        r.topic, r.partition, r.offset, r.key, r.value, dict(r.headers or ())
                    )
                    for r in records
                )
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()
