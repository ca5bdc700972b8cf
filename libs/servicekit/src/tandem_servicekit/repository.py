"""The generic MongoDB repository: one collection of one pydantic model, inside a unit of work.

Services subclass it with intent-named methods (`pairs.active_for(employee_id)`); the query
helpers here are protected so Mongo queries stay in adapters. Everything stored is reported to
the unit of work's change tracker, which collects the events aggregates recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING, ReplaceOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from tandem_servicekit.mongo import Document, in_chunks
from tandem_servicekit.uow import ChangeTracker

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Paging:
    """Which slice of a listing to return."""

    limit: int = 100
    skip: int = 0


class Page(BaseModel, Generic[M]):
    """One slice of a listing and how many items match in all."""

    total: int
    items: list[M]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS = "__us"
"""Suffix of the integer field that keeps a datetime's microseconds: BSON dates hold only
milliseconds, and two HR records in the same millisecond must still order correctly."""


def to_document(model: BaseModel, key: str) -> Document:
    """JSON-mode dump (dates become strings), with datetimes kept as BSON dates (queryable) plus
    their exact microseconds since the epoch in `<name>__us`."""
    doc: Document = model.model_dump(mode="json")
    for name, value in model:
        if isinstance(value, datetime):
            doc[name] = value
            doc[name + MICROS] = (value - EPOCH) // timedelta(microseconds=1)
    doc["_id"] = doc[key]
    return doc


def from_document(doc: Document) -> Document:
    """The fields of a stored document, datetimes restored to the microsecond."""
    fields = {k: v for k, v in doc.items() if k != "_id" and not k.endswith(MICROS)}
    for name, value in doc.items():
        if name.endswith(MICROS) and isinstance(value, int):
            fields[name.removesuffix(MICROS)] = EPOCH + timedelta(microseconds=value)
    return fields


class MongoRepository(Generic[M]):
    model: type[M]
    key: str

    def __init__(
        self,
        collection: AsyncCollection[Document],
        session: AsyncClientSession,
        tracker: ChangeTracker,
    ) -> None:
        self._c = collection
        self._s = session
        self._tracker = tracker

    def _load(self, doc: Document) -> M:
        return self.model.model_validate(from_document(doc))

    async def get(self, key: str) -> M | None:
        doc = await self._c.find_one({"_id": key}, session=self._s)
        return None if doc is None else self._load(doc)

    async def get_many(self, keys: Iterable[str]) -> dict[str, M]:
        found = await self._find_in("_id", keys)
        return {getattr(item, self.key): item for item in found}

    async def put(self, item: M) -> None:
        """Insert or replace `item` (by its key)."""
        doc = to_document(item, self.key)
        await self._c.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self._s)
        self._tracker.stored(item)

    async def put_many(self, items: Iterable[M]) -> None:
        """Insert or replace every item in one round trip (one bulk write)."""
        batch = list(items)
        if not batch:
            return
        docs = [to_document(i, self.key) for i in batch]
        await self._c.bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in docs], session=self._s
        )
        for item in batch:
            self._tracker.stored(item)

    async def add_many(self, items: Iterable[M]) -> None:
        """Insert items that are new (one `insert_many`, much cheaper than upserts); a key that
        exists already fails the unit of work, so use it only for what `get_many` did not find."""
        batch = list(items)
        if not batch:
            return
        await self._c.insert_many([to_document(i, self.key) for i in batch], session=self._s)
        for item in batch:
            self._tracker.stored(item)

    async def _find(
        self, query: Document, *, sort: str | None = None, limit: int = 0, skip: int = 0
    ) -> list[M]:
        cursor = self._c.find(query, session=self._s)
        if sort:
            cursor = cursor.sort(sort, ASCENDING)
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return [self._load(doc) async for doc in cursor]

    async def _find_in(
        self, field: str, values: Iterable[str], query: Document | None = None
    ) -> list[M]:
        """Documents whose `field` is (or, for an array, holds) one of `values`, matching
        `query` too: one query per chunk of values, each document once."""
        found: dict[str, M] = {}
        for chunk in in_chunks(values):
            for item in await self._find({**(query or {}), field: {"$in": chunk}}):
                found.setdefault(getattr(item, self.key), item)
        return list(found.values())

    async def _first(self, query: Document, *, sort: str | None = None) -> M | None:
        found = await self._find(query, sort=sort, limit=1)
        return found[0] if found else None

    async def _page(self, query: Document, *, sort: str, paging: Paging) -> Page[M]:
        total = await self._c.count_documents(query, session=self._s)
        items = await self._find(query, sort=sort, limit=paging.limit, skip=paging.skip)
        return Page(total=total, items=items)
