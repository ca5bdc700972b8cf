"""The Kafka producer the outbox relay and the dead-letter router write through.

A plain aiokafka producer rather than faststream's publisher: records must leave with exactly
the CloudEvents headers and bytes they were stored with, and nothing added.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aiokafka import AIOKafkaProducer

from tandem_contracts.cloudevents import OutgoingRecord
from tandem_servicekit.settings import KafkaSettings


@dataclass(frozen=True)
class ProducerRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]

    @classmethod
    def of(cls, record: OutgoingRecord, topic_prefix: str = "") -> ProducerRecord:
        """An encoded event, bound for its contract topic under `topic_prefix`."""
        return cls(topic_prefix + record.topic, record.key, record.value, record.headers)


class Publisher(Protocol):
    async def send_many(self, records: Sequence[ProducerRecord]) -> None:
        """Send all, in order per partition, and wait until every one is acknowledged."""
        ...


class KafkaPublisher:
    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect; aiokafka binds a producer to the running loop, so it is made here."""
        producer = AIOKafkaProducer(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._client_id,
            request_timeout_ms=self._settings.request_timeout_ms,
            **self._settings.producer_options(),
            **self._settings.client_options(),
        )
        await producer.start()
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send_many(self, records: Sequence[ProducerRecord]) -> None:
        """Hand every record to the producer's batches, then wait for all acknowledgements.

        aiokafka keeps one request in flight per partition, so order per key is kept; one
        failure fails the call (the caller re-sends the lot: consumers dedupe on `ce_id`).
        """
        if self._producer is None:
            raise RuntimeError("publisher not started")
        pending = [
            await self._producer.send(r.topic, value=r.value, key=r.key, headers=list(r.headers))
            for r in records
        ]
        await asyncio.gather(*pending)
