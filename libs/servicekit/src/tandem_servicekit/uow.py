"""Unit of work: one use case's state change, its outgoing events and its inbox marker, together.

Use-case handlers take a unit of work and call `emit` for each event and `commit` once; nothing
is published until the commit lands (the outbox relay does that), and a consumed event's id is
recorded in the same commit, so a redelivery is recognised and skipped.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from tandem_contracts import Event, encode
from tandem_contracts.cloudevents import OutgoingRecord
from tandem_servicekit.mongo import Document

OUTBOX = "outbox"
INBOX = "inbox"


class DuplicateDelivery(Exception):
    """The consumed event was processed already (found when committing its inbox marker)."""


@dataclass(frozen=True)
class ConsumedEvent:
    group: str
    event_id: str
    event_type: str


class UnitOfWork(abc.ABC):
    """The abstract unit of work; services extend it with their repositories."""

    def __init__(self, topic_prefix: str = "") -> None:
        self.topic_prefix = topic_prefix
        self.pending: list[OutgoingRecord] = []
        self.consumed: ConsumedEvent | None = None
        self.committed = False

    def emit(self, event: Event, *, event_id: str | None = None) -> OutgoingRecord:
        """Queue `event` for publication with this commit; returns its record (id included)."""
        record = encode(event, source=self.source, event_id=event_id)
        if self.topic_prefix:
            record = dataclasses.replace(record, topic=self.topic_prefix + record.topic)
        self.pending.append(record)
        return record

    def consuming(self, consumed: ConsumedEvent) -> None:
        """Mark this unit of work as the processing of `consumed` (recorded at commit)."""
        self.consumed = consumed

    async def commit(self) -> None:
        await self._commit()
        self.committed = True

    async def __aenter__(self) -> Self:
        await self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            await self._rollback()
        await self._close()

    @property
    @abc.abstractmethod
    def source(self) -> str: ...

    @abc.abstractmethod
    async def already_consumed(self, group: str, event_id: str) -> bool: ...

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; the default has none."""


def outbox_document(record: OutgoingRecord, seq: int, now: datetime) -> Document:
    return {
        "_id": record.meta.id,
        "seq": seq,
        "topic": record.topic,
        "key": record.key,
        "value": record.value,
        "headers": [[k, v] for k, v in record.headers],
        "type": record.meta.type,
        "created_at": now,
        "published_at": None,
    }


class MongoUnitOfWork(UnitOfWork):
    """A MongoDB transaction on the service's own database.

    `on_commit` wakes the outbox relay so events leave within milliseconds, not a poll interval.
    """

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        source: str,
        on_commit: Callable[[], None] | None = None,
        topic_prefix: str = "",
    ) -> None:
        super().__init__(topic_prefix)
        self._client = client
        self.db: AsyncDatabase[Document] = client[database]
        self._source = source
        self._on_commit = on_commit
        self._session: AsyncClientSession | None = None

    @property
    def source(self) -> str:
        return self._source

    @property
    def session(self) -> AsyncClientSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def _begin(self) -> None:
        self._session = self._client.start_session()
        await self._session.start_transaction()

    async def already_consumed(self, group: str, event_id: str) -> bool:
        found = await self.db[INBOX].find_one(
            {"_id": _inbox_id(group, event_id)}, session=self.session
        )
        return found is not None

    async def _commit(self) -> None:
        now = datetime.now(UTC)
        session = self.session
        if self.consumed is not None:
            try:
                await self.db[INBOX].insert_one(
                    {
                        "_id": _inbox_id(self.consumed.group, self.consumed.event_id),
                        "type": self.consumed.event_type,
                        "processed_at": now,
                    },
                    session=session,
                )
            except DuplicateKeyError as exc:
                raise DuplicateDelivery(self.consumed.event_id) from exc
        if self.pending:
            await self.db[OUTBOX].insert_many(
                [outbox_document(r, i, now) for i, r in enumerate(self.pending)], session=session
            )
        await session.commit_transaction()
        if self.pending and self._on_commit is not None:
            self._on_commit()

    async def _rollback(self) -> None:
        session = self.session
        if session.in_transaction:
            await session.abort_transaction()

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.end_session()
            self._session = None


def _inbox_id(group: str, event_id: str) -> str:
    return f"{group}|{event_id}"


async def ensure_runtime_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes the outbox relay needs to find pending entries in order."""
    await db[OUTBOX].create_index([("published_at", 1), ("created_at", 1), ("seq", 1)])
