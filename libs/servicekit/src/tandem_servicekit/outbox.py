"""The outbox relay: publishes committed outbox entries in order, then marks them sent.

A crash after publishing but before marking re-sends the entry on restart (consumers dedupe on
`ce_id`); a crash before publishing loses nothing because the entry is already committed.
Only one relay per database publishes at a time (a lease), so replicas don't interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Gauge
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from tandem_servicekit.logging import get_logger
from tandem_servicekit.mongo import Document, in_chunks
from tandem_servicekit.publisher import ProducerRecord, Publisher
from tandem_servicekit.settings import OutboxSettings
from tandem_servicekit.shutdown import bounded, cancelled
from tandem_servicekit.uow import OUTBOX

LEASES = "leases"
log = get_logger("tandem.outbox")


class OutboxMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.published = Counter(
            "tandem_outbox_published_records_total",
            "Outbox records published to Kafka",
            ["topic"],
            registry=registry,
        )
        self.pending = Gauge(
            "tandem_outbox_pending_records",
            "Outbox records committed but not yet published (at the last relay pass)",
            registry=registry,
        )
        self.failures = Counter(
            "tandem_outbox_publish_failures_total",
            "Relay passes that stopped on a broker or database error",
            registry=registry,
        )


class OutboxRelay:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        publisher: Publisher,
        settings: OutboxSettings,
        metrics: OutboxMetrics,
    ) -> None:
        self._db = db
        self._publisher = publisher
        self._settings = settings
        self._metrics = metrics
        self._wake = asyncio.Event()
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._task: asyncio.Task[None] | None = None
        self.healthy = True

    def notify(self) -> None:
        """Something was committed: publish now instead of at the next poll."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the loop, then flush what is pending once more (graceful shutdown).

        The flush is bounded: with the database or broker gone it would otherwise wait out every
        client timeout and the process would be killed mid-shutdown. Whatever stays pending is
        safe in the outbox and the next relay publishes it.
        """
        if self._task is not None:
            stopped = await cancelled("outbox relay", [self._task], timeout_s)
            self._task = None
            if not stopped:  # still publishing: a flush beside it would send its batch twice
                return
        try:
            await bounded("outbox flush", self._final_flush(), timeout_s)
        except Exception as exc:
            log.warning("outbox not flushed at shutdown", error_class=type(exc).__name__)

    async def _final_flush(self) -> None:
        await self.publish_pending()
        with contextlib.suppress(PyMongoError):
            await self._db[LEASES].delete_one({"_id": OUTBOX, "owner": self._owner})

    async def _run(self) -> None:
        while True:
            try:
                await self.publish_pending()
                self.healthy = True
            except Exception as exc:
                self.healthy = False
                self._metrics.failures.inc()
                log.warning("outbox relay pass failed", error_class=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.poll_interval_s)
            self._wake.clear()

    async def publish_pending(self) -> int:
        """Publish every pending entry in commit order, a batch at a time; returns how many.

        A batch is handed to the producer at once and marked sent with one update after every
        record of it was acknowledged: a crash in between re-sends the batch (consumers dedupe).
        The lease is renewed before every batch, so a long pass never outlives it unnoticed.
        """
        sent = 0
        while True:
            if not await self._hold_lease():
                return sent
            cursor = (
                self._db[OUTBOX]
                .find({"published_at": None})
                .sort("order", 1)
                .limit(self._settings.batch_size)
            )
            batch = await cursor.to_list()
            self._metrics.pending.set(len(batch))
            if not batch:
                return sent
            await self._publisher.send_many(
                [
                    ProducerRecord(
                        entry["topic"],
                        entry["key"],
                        entry["value"],
                        [(k, bytes(v)) for k, v in entry["headers"]],
                    )
                    for entry in batch
                ]
            )
            sent_at = datetime.now(UTC)
            for chunk in in_chunks(entry["_id"] for entry in batch):
                await self._db[OUTBOX].update_many(
                    {"_id": {"$in": chunk}}, {"$set": {"published_at": sent_at}}
                )
            for entry in batch:
                self._metrics.published.labels(entry["topic"]).inc()
            sent += len(batch)
            if len(batch) < self._settings.batch_size:
                self._metrics.pending.set(0)
                return sent

    async def _hold_lease(self) -> bool:
        """Take or extend the relay lease; False while another live relay holds it."""
        now = datetime.now(UTC)
        until = now + timedelta(seconds=self._settings.lease_s)
        try:
            await self._db[LEASES].update_one(
                {"_id": OUTBOX, "$or": [{"owner": self._owner}, {"expires_at": {"$lt": now}}]},
                {"$set": {"owner": self._owner, "expires_at": until}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True
