"""Whether the platform has finished everything it was given, read from the outside.

The services' own gauges (`tandem_outbox_pending_records`, `tandem_consumer_lag_records`) are
refreshed every few seconds, so a harness reading them must wait longer than that to trust a
zero. This reads the same facts at once: each service's outbox entries not yet published (its
database) and, for every Tandem consumer group, the records on its topic's partitions that it
has not committed (the broker). The platform is settled when two readings in a row find
nothing pending and no progress in between (offsets and outbox totals unchanged): an outbox
entry written between the two reads would have changed the totals (outbox entries are only
deleted once published for `OUTBOX__KEEP_PUBLISHED_S`, 7 days: longer than any run).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from tandem_servicekit.uow import OUTBOX

CONSUMER_GROUPS = (
    "tandem-pairing.hr.employees.v1",
    "tandem-scheduling.hr.employees.v1",
    "tandem-scheduling.tandem.pairing.v1",
    "tandem-feedback.hr.employees.v1",
    "tandem-feedback.tandem.pairing.v1",
    "tandem-feedback.tandem.scheduling.v1",
    "tandem-metrics.hr.employees.v1",
    "tandem-metrics.tandem.pairing.v1",
    "tandem-metrics.tandem.scheduling.v1",
    "tandem-metrics.tandem.feedback.v1",
)
"""The four services' subscriptions (`tandem-<service>.<topic>`, the topic without a prefix: a
deployment's groups carry its topic prefix, see `Backlogs.groups`): read even before the broker
lists them (a group that has not joined yet has committed nothing: all of its topic is lag)."""


FETCH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Reading:
    pending_outbox: int
    """Databases whose outbox holds an entry not yet published."""
    lag: int
    progress: tuple[int, int, int]
    """(sum of committed offsets, outbox entries ever written, sum of partition ends): changes
    whenever work is done."""

    @property
    def idle(self) -> bool:
        return self.pending_outbox == 0 and self.lag == 0


class Backlogs:
    """Reads the backlogs of one deployment (`topic_prefix`, its services' `databases`).

    Where each partition ends is the high watermark of a fetch, from a consumer of our own
    (no group) that reads the four topics all the time: the embedded broker's ListOffsets
    answers "latest" with stale offsets (seen 55 for a partition whose fetches said 61), so
    `end_offsets` would call unconsumed records done. A reading waits for two fresh fetch
    cycles, so every record published before it began is counted."""

    def __init__(
        self, bootstrap: str, mongo_uri: str, databases: list[str], topic_prefix: str = ""
    ) -> None:
        self.bootstrap = bootstrap
        self.topic_prefix = topic_prefix
        self.mongo_uri = mongo_uri
        self.databases = databases
        self._mongo: AsyncMongoClient[dict[str, object]] | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._fetching: asyncio.Task[None] | None = None
        self._fetches = 0
        self._fetched = asyncio.Condition()

    async def __aenter__(self) -> Backlogs:
        self._mongo = AsyncMongoClient(self.mongo_uri)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await self._admin.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
        )
        await self._consumer.start()
        self._fetching = asyncio.create_task(self._fetch())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._fetching is not None:
            self._fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError, KafkaError, OSError):
                await self._fetching
        with contextlib.suppress(KafkaError, OSError):
            if self._consumer is not None:
                await self._consumer.stop()
            if self._admin is not None:
                await self._admin.close()
        if self._mongo is not None:
            await self._mongo.close()

    async def _fetch(self) -> None:
        """Keep every partition of the consumed topics assigned and fetched (records are
        dropped: only the high watermarks count)."""
        assert self._consumer is not None
        assigned: set[TopicPartition] = set()
        while True:
            try:
                wanted = set(await self._partitions())
                if wanted != assigned:
                    self._consumer.assign(sorted(wanted))
                    for tp in wanted - assigned:
                        self._consumer.seek(tp, 0)
                    assigned = wanted
                if assigned:
                    await self._consumer.getmany(timeout_ms=20, max_records=10_000)
                else:
                    await asyncio.sleep(0.1)
            except (KafkaError, OSError):
                await asyncio.sleep(0.5)  # the broker is away for a moment
            self._fetches += 1
            async with self._fetched:
                self._fetched.notify_all()

    @property
    def groups(self) -> list[tuple[str, str]]:
        """This deployment's consumer groups, each with the (prefixed) topic it consumes."""
        found: list[tuple[str, str]] = []
        for subscription in CONSUMER_GROUPS:
            service, topic = subscription.split(".", 1)
            found.append((f"{service}.{self.topic_prefix}{topic}", self.topic_prefix + topic))
        return found

    async def _partitions(self) -> list[TopicPartition]:
        assert self._consumer is not None
        found: list[TopicPartition] = []
        for topic in sorted({self.topic_prefix + g.split(".", 1)[1] for g in CONSUMER_GROUPS}):
            partitions = self._consumer.partitions_for_topic(topic)
            if partitions is None:
                await self._consumer._client.force_metadata_update()
                partitions = self._consumer.partitions_for_topic(topic)
            found += [TopicPartition(topic, p) for p in sorted(partitions or ())]
        return found

    async def read(self) -> Reading:
        began = self._fetches
        async with self._fetched:  # until a fetch sent after this reading began came back
            fresh = self._fetched.wait_for(lambda: self._fetches >= began + 2)
            try:
                await asyncio.wait_for(fresh, FETCH_TIMEOUT_S)
            except TimeoutError:
                if self._fetching is not None and self._fetching.done():
                    self._fetching.result()  # raises what stopped the fetching
                raise
        outboxes, (lag, committed, ends) = await asyncio.gather(
            asyncio.gather(*(self._outbox(name) for name in self.databases)), self._lag()
        )
        pending = sum(p for p, _ in outboxes)
        written = sum(w for _, w in outboxes)
        return Reading(pending, lag, (committed, written, ends))

    async def _outbox(self, database: str) -> tuple[int, int]:
        assert self._mongo is not None
        outbox = self._mongo[database][OUTBOX]
        pending = await outbox.find_one({"published_at": None}, {"_id": 1})
        return int(pending is not None), await outbox.estimated_document_count()

    async def _lag(self) -> tuple[int, int, int]:
        """(records not committed, sum of committed offsets, sum of partition ends) over the
        Tandem consumer groups; a partition not fetched yet counts as 1 record of lag."""
        assert self._admin is not None
        assert self._consumer is not None
        groups = self.groups
        partitions = await self._partitions()
        offsets = await asyncio.gather(
            *(self._admin.list_consumer_group_offsets(g, partitions=partitions) for g, _ in groups)
        )
        lag = committed_total = ends_total = 0
        for (_, topic), committed in zip(groups, offsets, strict=True):
            for tp in partitions:
                if tp.topic != topic:
                    continue
                end = self._consumer.highwater(tp)
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                lag += 1 if end is None else max(end - done, 0)
                committed_total += done
                ends_total += end or 0
        return lag, committed_total, ends_total

    async def settled(self, timeout_s: float = 600.0, poll_s: float = 0.15) -> float:
        """Wait until settled; returns the seconds it took."""
        began = time.monotonic()
        last: Reading | None = None
        while True:
            try:
                reading: Reading | None = await self.read()
            except (KafkaError, PyMongoError, OSError, TimeoutError):
                reading = None  # the broker or the database is away for a moment: read again
            if reading is not None and reading.idle and last == reading:
                return time.monotonic() - began
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"the platform did not settle in {timeout_s} s: {reading}")
            last = reading
            await asyncio.sleep(poll_s)
