"""Whether the platform has finished everything it was given, read from the outside.

The services' own gauges (`tandem_outbox_pending_records`, `tandem_consumer_lag_records`) are
refreshed every few seconds, so a harness reading them must wait longer than that to trust a
zero. This reads the same facts at once: each service's outbox entries not yet published (its
database) and, for every Tandem consumer group, the records on its topic's partitions that it
has not committed (the broker). The platform is settled when two readings in a row find
nothing pending and no progress in between (offsets and outbox totals unchanged): an outbox
entry written between the two reads would have changed the totals.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from tandem_servicekit.uow import OUTBOX


@dataclass(frozen=True)
class Reading:
    pending_outbox: int
    lag: int
    progress: tuple[int, int]
    """(sum of committed offsets, outbox entries ever written): changes whenever work is done."""

    @property
    def idle(self) -> bool:
        return self.pending_outbox == 0 and self.lag == 0


class Backlogs:
    """Reads the backlogs of one deployment (`topic_prefix`, its services' `databases`)."""

    def __init__(
        self, bootstrap: str, mongo_uri: str, databases: list[str], topic_prefix: str = ""
    ) -> None:
        self.bootstrap = bootstrap
        self.topic_prefix = topic_prefix
        self.mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_uri)
        self.databases = databases
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> Backlogs:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap)
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()
        await self.mongo.close()

    async def read(self) -> Reading:
        outboxes, (lag, committed) = await asyncio.gather(
            asyncio.gather(*(self._outbox(name) for name in self.databases)), self._lag()
        )
        pending = sum(p for p, _ in outboxes)
        written = sum(w for _, w in outboxes)
        return Reading(pending, lag, (committed, written))

    async def _outbox(self, database: str) -> tuple[int, int]:
        outbox = self.mongo[database][OUTBOX]
        return (
            await outbox.count_documents({"published_at": None}),
            await outbox.estimated_document_count(),
        )

    async def _lag(self) -> tuple[int, int]:
        """(records not committed, sum of committed offsets) over every Tandem group."""
        assert self._admin is not None
        assert self._consumer is not None
        wanted: dict[str, list[TopicPartition]] = {}
        for group, _ in await self._admin.list_consumer_groups():
            if not group.startswith("tandem-") or "." not in group:
                continue
            topic = self.topic_prefix + group.split(".", 1)[1]
            partitions = self._consumer.partitions_for_topic(topic)
            if partitions is None:
                await self._consumer._client.force_metadata_update()
                partitions = self._consumer.partitions_for_topic(topic)
            if partitions:
                wanted[group] = [TopicPartition(topic, p) for p in sorted(partitions)]
        every = sorted({tp for tps in wanted.values() for tp in tps})
        ends, *offsets = await asyncio.gather(
            self._consumer.end_offsets(every),
            *(
                self._admin.list_consumer_group_offsets(group, partitions=tps)
                for group, tps in wanted.items()
            ),
        )
        lag = committed_total = 0
        for tps, committed in zip(wanted.values(), offsets, strict=True):
            for tp in tps:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                lag += max(ends[tp] - done, 0)
                committed_total += done
        return lag, committed_total

    async def settled(self, timeout_s: float = 600.0, poll_s: float = 0.05) -> float:
        """Wait until settled; returns the seconds it took."""
        began = time.monotonic()
        last: Reading | None = None
        while True:
            reading = await self.read()
            if reading.idle and last is not None and last == reading:
                return time.monotonic() - began
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"the platform did not settle in {timeout_s} s: {reading}")
            last = reading
            await asyncio.sleep(poll_s)
