"""Test support shared by every service: hand-written fakes and a Kafka topic reader.

The fakes stand in for the database and broker in unit tests of use cases only; integration and
end-to-end tests use the real embedded servers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel

from tandem_contracts import Event
from tandem_servicekit.clock import Clock, FakeClock
from tandem_servicekit.publisher import ProducerRecord
from tandem_servicekit.repository import Page, Paging
from tandem_servicekit.uow import ChangeTracker, TrackingUnitOfWork

M = TypeVar("M", bound=BaseModel)


class FakeUnitOfWork(TrackingUnitOfWork):
    """A unit of work over dictionaries; `published` holds the events of every commit.

    State lives across units of work (like a database), so one fake serves a whole test; a
    rollback drops the uncommitted events but, unlike a transaction, not the stored items.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock=clock or FakeClock(), source="/tandem/test")
        self.commits = 0
        self.rollbacks = 0
        self.published: list[Event] = []
        self.consumed_ids: dict[tuple[str, str], str | None] = {}

    def published_types(self) -> list[str]:
        """Short names of the published events (`org.tandem.pairing.pair_created.v1` →
        `pair_created`), oldest first."""
        return [e.event_type.split(".")[-2] for e in self.published]

    async def already_consumed(self, group: str, event_ids: Sequence[str]) -> dict[str, str | None]:
        return {
            i: self.consumed_ids[group, i] for i in event_ids if (group, i) in self.consumed_ids
        }

    async def _begin(self) -> None:
        pass

    async def _commit(self, events: list[Event]) -> None:
        self.commits += 1
        self.published.extend(events)
        self.consumed_ids.update(((c.group, c.event_id), c.digest or None) for c in self.consumed)

    async def _rollback(self) -> None:
        self.rollbacks += 1


class FakeRepository(Generic[M]):
    """The in-memory twin of `MongoRepository`; subclasses add the same intent-named methods."""

    key: str

    def __init__(self, tracker: ChangeTracker) -> None:
        self.items: dict[str, M] = {}
        self._tracker = tracker

    async def get(self, key: str) -> M | None:
        return self.items.get(key)

    async def get_many(self, keys: Iterable[str]) -> dict[str, M]:
        return {k: self.items[k] for k in set(keys) if k in self.items}

    async def put(self, item: M) -> None:
        self.items[getattr(item, self.key)] = item
        self._tracker.stored(item)

    async def put_many(self, items: Iterable[M]) -> None:
        for item in items:
            await self.put(item)

    async def add_many(self, items: Iterable[M]) -> None:
        for item in items:
            if getattr(item, self.key) in self.items:
                raise KeyError(f"{getattr(item, self.key)} exists already")
            await self.put(item)

    def _where(self, predicate: Callable[[M], bool], *, sort: str | None = None) -> list[M]:
        found = [i for i in self.items.values() if predicate(i)]
        return sorted(found, key=lambda i: getattr(i, sort or self.key))

    @staticmethod
    def _page(found: list[M], paging: Paging) -> Page[M]:
        return Page(total=len(found), items=found[paging.skip : paging.skip + paging.limit])


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    timeout_s: float = 15.0,
    interval_s: float = 0.05,
    *,
    what: str = "condition",
) -> float:
    """Poll `check` until it holds; returns the seconds it took, fails after the timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(interval_s)
    raise AssertionError(f"{what} not met within {timeout_s} s")


@dataclass
class RecordingPublisher:
    """A publisher that remembers what it was asked to send."""

    sent: list[ProducerRecord] = field(default_factory=list)

    async def send_many(self, records: Sequence[ProducerRecord]) -> None:
        self.sent.extend(records)


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

    `at_least=0` reads what is there now: every partition up to the high watermark its latest
    fetch reported (not until a poll comes back empty: a fetch slower than one poll would cut
    the read short; nor by ListOffsets, which the embedded broker answers with stale offsets).
    Reads without a consumer group (partitions assigned by hand), so it never disturbs the
    groups under test. Returns what it has when the timeout passes.
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
            for records in batch.values():
                found.extend(
                    ReadRecord(
                        r.topic, r.partition, r.offset, r.key, r.value, dict(r.headers or ())
                    )
                    for r in records
                )
            if at_least == 0 and await _at_high_watermarks(consumer, assigned):
                break
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        await consumer.stop()


async def _at_high_watermarks(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> bool:
    """Every partition read up to the high watermark of its latest fetch (one fetched at all)."""
    for tp in partitions:
        high = consumer.highwater(tp)
        if high is None or await consumer.position(tp) < high:
            return False
    return True
