"""Facts in MongoDB: one collection per kind, one document per fact (`_id` = its key)."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from tandem_metrics.service.ports import Fields, Merge
from tandem_servicekit.mongo import Document

KINDS = (
    "programs",
    "employees",
    "enrollments",
    "pairs",
    "sessions",
    "requests",
    "feedback",
    "answers",
    "goals",
    "assessments",
)


class MongoFacts:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self._db, self._s = db, session

    async def merge_many(self, merges: Iterable[Merge]) -> None:
        """The merges of one fact folded into one update (later fields win, as applying them in
        turn would), then one bulk write per kind."""
        folded: dict[str, dict[str, Fields]] = {}
        for kind, key, fields in merges:
            folded.setdefault(kind, {}).setdefault(key, {}).update(fields)
        for kind, facts in folded.items():
            ops = [UpdateOne({"_id": k}, {"$set": f}, upsert=True) for k, f in facts.items()]
            await self._db[kind].bulk_write(ops, ordered=False, session=self._s)

    async def of_program(self, kind: str, program_id: str) -> list[Fields]:
        cursor = self._db[kind].find({"program_id": program_id}, {"_id": 0}, session=self._s)
        return [doc async for doc in cursor.sort("_id")]

    async def every(self, kind: str) -> list[Fields]:
        cursor = self._db[kind].find({}, {"_id": 0}, session=self._s)
        return [doc async for doc in cursor.sort("_id")]

    async def program_ids(self) -> list[str]:
        cursor = self._db["programs"].find({}, {"_id": 1}, session=self._s)
        return [doc["_id"] async for doc in cursor.sort("_id")]


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    for kind in KINDS:
        if kind != "employees":
            await db[kind].create_index("program_id")
    await db["enrollments"].create_index("employee_id")
    await db["pairs"].create_index("mentor_id")
    await db["pairs"].create_index("mentee_id")
