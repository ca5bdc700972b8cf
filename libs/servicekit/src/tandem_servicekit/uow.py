"""Unit of work: one use case's state change, its outgoing events and its inbox markers, together.

Use cases see the `UnitOfWork` port: repositories (declared by each service), a clock and
`commit`. Aggregates the repositories store carry the events their transitions recorded; on
commit the unit of work collects them (in the order things were stored), encodes them as
CloudEvents records and writes them to the outbox in the same transaction as the state change
and the ids of the consumed events. Nothing is published until the commit lands (the relay does
that), and a redelivered event is recognised by its id and skipped.
"""

from __future__ import annotations

import abc
import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from tandem_contracts import Event, encode
from tandem_contracts.aggregate import Aggregate
from tandem_contracts.cloudevents import OutgoingRecord
from tandem_servicekit.clock import Clock
from tandem_servicekit.mongo import Document, in_chunks

OUTBOX = "outbox"
INBOX = "inbox"
ERASED = "erased_people"
"""SHA-256 digests of erased ids (never the ids): events that arrive later naming them (an HR
record, a pair announced before the erasure) are recognised and not stored again."""
_DUPLICATE_KEY = 11000
_INDEX_OPTIONS_CONFLICT = (85, 86)


class DuplicateDelivery(Exception):
    """A consumed event was processed already (found when committing its inbox marker)."""


@dataclass(frozen=True)
class ConsumedEvent:
    group: str
    event_id: str
    """`ce_source` and `ce_id` together (only the pair is unique in CloudEvents)."""
    event_type: str
    digest: str = ""
    """SHA-256 of the record's value: a later record reusing the id with another value is a
    conflict (dead-lettered), not a redelivery."""


class UnitOfWork(Protocol):
    """The port use cases depend on; each service extends it with its repositories."""

    @property
    def clock(self) -> Clock: ...

    def emit(self, event: Event) -> None:
        """Publish `event` with this commit (for events no stored aggregate records)."""
        ...

    async def commit(self) -> None: ...


class ChangeTracker:
    """What one unit of work stored and emitted, in order, so events leave in causal order."""

    def __init__(self) -> None:
        self._items: list[Aggregate | Event] = []

    def stored(self, item: object) -> None:
        if isinstance(item, Aggregate):
            self._items.append(item)

    def emitted(self, event: Event) -> None:
        self._items.append(event)

    def new_events(self) -> list[Event]:
        """Every event recorded on a stored aggregate or emitted, each once."""
        events: list[Event] = []
        seen: set[int] = set()
        for item in self._items:
            for event in item.collect_new_events() if isinstance(item, Aggregate) else (item,):
                if id(event) not in seen:
                    seen.add(id(event))
                    events.append(event)
        return events

    def clear(self) -> None:
        self._items.clear()


class TrackingUnitOfWork(abc.ABC):
    """What every unit of work shares, the Mongo one and the test fakes alike."""

    def __init__(self, *, clock: Clock, source: str, topic_prefix: str = "") -> None:
        self._clock = clock
        self.source = source
        self.topic_prefix = topic_prefix
        self.tracker = ChangeTracker()
        self.consumed: list[ConsumedEvent] = []
        self.committed = False

    @property
    def clock(self) -> Clock:
        return self._clock

    def emit(self, event: Event) -> None:
        self.tracker.emitted(event)

    def consuming(self, consumed: Iterable[ConsumedEvent]) -> None:
        """Mark this unit of work as the processing of `consumed` (recorded at commit)."""
        self.consumed.extend(consumed)

    def records_of(self, events: Iterable[Event]) -> list[OutgoingRecord]:
        """`events` as CloudEvents records of this service, stamped by the clock."""
        now = self._clock.now()
        records = []
        for event in events:
            record = encode(event, source=self.source, time=now)
            if self.topic_prefix:
                record = dataclasses.replace(record, topic=self.topic_prefix + record.topic)
            records.append(record)
        return records

    async def commit(self) -> None:
        await self._commit(self.tracker.new_events())
        self.committed = True

    async def __aenter__(self) -> Self:
        self.tracker.clear()
        self.consumed = []
        self.committed = False
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

    @abc.abstractmethod
    async def already_consumed(self, group: str, event_ids: Sequence[str]) -> dict[str, str | None]:
        """Which of `event_ids` this consumer group has processed before, each with the value
        digest recorded then (None where none was)."""

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self, events: list[Event]) -> None:
        """Store the state change, `events` and the inbox markers atomically."""

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _close(self) -> None:  # noqa: B027 - optional hook
        """Release resources; the default has none."""


def outbox_document(record: OutgoingRecord, now: datetime) -> Document:
    """An outbox entry; `order` (an ObjectId, increasing within a process) is the publish order,
    so two commits in the same millisecond, or under a test's fixed clock, still leave in order."""
    return {
        "_id": record.meta.id,
        "order": ObjectId(),
        "topic": record.topic,
        "key": record.key,
        "value": record.value,
        "headers": [[k, v] for k, v in record.headers],
        "type": record.meta.type,
        "created_at": now,
        "published_at": None,
    }


class MongoUnitOfWork(TrackingUnitOfWork):
    """A MongoDB transaction on the service's own database.

    `on_commit` wakes the outbox relay so events leave within milliseconds, not a poll interval.
    Services subclass it and open their repositories in `_open_repositories`.
    """

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        *,
        source: str,
        clock: Clock,
        on_commit: Callable[[], None] | None = None,
        topic_prefix: str = "",
    ) -> None:
        super().__init__(clock=clock, source=source, topic_prefix=topic_prefix)
        self._client = client
        self.db: AsyncDatabase[Document] = client[database]
        self._on_commit = on_commit
        self._session: AsyncClientSession | None = None
        self.outboxed: list[OutgoingRecord] = []
        """The records the last commit wrote to the outbox (their ids, for callers and tests)."""

    @property
    def session(self) -> AsyncClientSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    def collection(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    async def _begin(self) -> None:
        self._session = self._client.start_session()
        await self._session.start_transaction()
        self._open_repositories()

    def _open_repositories(self) -> None:
        """Create this transaction's repositories; a service without any has nothing to do."""

    async def already_consumed(self, group: str, event_ids: Sequence[str]) -> dict[str, str | None]:
        ids = {_inbox_id(group, i): i for i in event_ids}
        found: dict[str, str | None] = {}
        for chunk in in_chunks(ids):
            query = {"_id": {"$in": chunk}}
            cursor = self.db[INBOX].find(query, {"_id": 1, "digest": 1}, session=self.session)
            found.update({ids[d["_id"]]: d.get("digest") async for d in cursor})
        return found

    async def _commit(self, events: list[Event]) -> None:
        records = self.records_of(events)
        now = self.clock.now()
        session = self.session
        if self.consumed:
            markers = [
                {
                    "_id": _inbox_id(c.group, c.event_id),
                    "type": c.event_type,
                    "digest": c.digest or None,
                    "processed_at": now,
                }
                for c in self.consumed
            ]
            try:
                await self.db[INBOX].insert_many(markers, session=session)
            except (DuplicateKeyError, BulkWriteError) as exc:
                if isinstance(exc, BulkWriteError) and not _only_duplicates(exc):
                    raise
                raise DuplicateDelivery(", ".join(c.event_id for c in self.consumed)) from exc
        if records:
            await self.db[OUTBOX].insert_many(
                [outbox_document(r, now) for r in records], session=session
            )
        await session.commit_transaction()
        self.outboxed = records
        if records and self._on_commit is not None:
            self._on_commit()

    async def _rollback(self) -> None:
        session = self.session
        if session.in_transaction:
            await session.abort_transaction()

    async def _close(self) -> None:
        if self._session is not None:
            await self._session.end_session()
            self._session = None

    async def rename_person(
        self,
        employee_id: str,
        pseudonym: str,
        *,
        fields: Iterable[tuple[str, str]] = (),
        lists: Iterable[tuple[str, str]] = (),
    ) -> int:
        """Erasure's common part: the pseudonym replaces the id in each (collection, field)
        holding it and in each (collection, array field) listing it; documents changed."""
        changed = 0
        for collection, field in fields:
            result = await self.db[collection].update_many(
                {field: employee_id}, {"$set": {field: pseudonym}}, session=self.session
            )
            changed += result.modified_count
        for collection, field in lists:
            result = await self.db[collection].update_many(
                {field: employee_id},
                {"$set": {f"{field}.$[who]": pseudonym}},
                array_filters=[{"who": employee_id}],
                session=self.session,
            )
            changed += result.modified_count
        return changed

    async def remember_erased(self, employee_id: str) -> None:
        erased = {"_id": erased_digest(employee_id)}
        await self.db[ERASED].replace_one(erased, erased, upsert=True, session=self.session)

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        """Which of these ids were erased here before."""
        digests = {erased_digest(i): i for i in employee_ids}
        found: set[str] = set()
        for chunk in in_chunks(digests):
            cursor = self.db[ERASED].find({"_id": {"$in": chunk}}, session=self.session)
            found.update({digests[d["_id"]] async for d in cursor})
        return found

    async def scrub_outbox(self, employee_id: str, pseudonym: str) -> int:
        """Published entries naming the person are deleted; pending ones still go out, with the
        pseudonym in place of the id (value, key and headers), so erasure travels downstream."""
        s, outbox, changed = self.session, self.db[OUTBOX], 0
        needle, replacement = employee_id.encode(), pseudonym.encode()
        quoted = b'"' + needle + b'"'
        async for entry in outbox.find({}, session=s):
            value, key = bytes(entry["value"]), bytes(entry.get("key") or b"")
            if quoted not in value and key != needle:
                continue
            if entry.get("published_at") is not None:
                await outbox.delete_one({"_id": entry["_id"]}, session=s)
            else:
                headers = [
                    [k, replacement if bytes(v) == needle else bytes(v)]
                    for k, v in entry["headers"]
                ]
                scrubbed = {
                    "value": value.replace(quoted, b'"' + replacement + b'"'),
                    "key": replacement if key == needle else key,
                    "headers": headers,
                }
                await outbox.update_one({"_id": entry["_id"]}, {"$set": scrubbed}, session=s)
            changed += 1
        return changed


def erased_digest(employee_id: str) -> str:
    return "sha256:" + hashlib.sha256(employee_id.encode()).hexdigest()


def _only_duplicates(exc: BulkWriteError) -> bool:
    errors = exc.details.get("writeErrors", [])
    return bool(errors) and all(e.get("code") == _DUPLICATE_KEY for e in errors)


def _inbox_id(group: str, event_id: str) -> str:
    return f"{group}|{event_id}"


async def ensure_runtime_indexes(
    db: AsyncDatabase[Document], *, keep_published_s: int, keep_inbox_s: int
) -> None:
    """The relay's index over pending entries in order, and retention: published outbox
    entries and inbox markers expire (TTL indexes), so neither collection grows for ever."""
    await db[OUTBOX].create_index([("published_at", 1), ("order", 1)])
    await _ttl_index(db, OUTBOX, "published_at", keep_published_s)
    await _ttl_index(db, INBOX, "processed_at", keep_inbox_s)


async def _ttl_index(
    db: AsyncDatabase[Document], collection: str, field: str, seconds: int
) -> None:
    try:
        await db[collection].create_index(field, expireAfterSeconds=seconds)
    except OperationFailure as exc:
        if exc.code not in _INDEX_OPTIONS_CONFLICT:
            raise
        index = {"keyPattern": {field: 1}, "expireAfterSeconds": seconds}
        await db.command("collMod", collection, index=index)
