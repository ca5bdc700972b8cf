"""MongoDB repositories of the pairing service; every call runs in the unit of work's session."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel
from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_servicekit.mongo import Document

M = TypeVar("M", bound=BaseModel)
MAX_SUBTREE = 100_000


def to_document(model: BaseModel, key: str) -> Document:
    """JSON-mode dump (dates become strings), with datetimes kept as BSON dates."""
    doc: Document = model.model_dump(mode="json")
    for name, value in model:
        if isinstance(value, datetime):
            doc[name] = value
    doc["_id"] = doc[key]
    return doc


class _Repository(Generic[M]):
    model: type[M]
    key: str

    def __init__(self, collection: AsyncCollection[Document], session: AsyncClientSession) -> None:
        self._c = collection
        self._s = session

    def _load(self, doc: Document | None) -> M | None:
        if doc is None:
            return None
        doc.pop("_id", None)
        return self.model.model_validate(doc)

    async def get(self, key: str) -> M | None:
        return self._load(await self._c.find_one({"_id": key}, session=self._s))

    async def put(self, item: M) -> None:
        doc = to_document(item, self.key)
        await self._c.replace_one({"_id": doc["_id"]}, doc, upsert=True, session=self._s)

    async def put_many(self, items: Iterable[M]) -> None:
        docs = [to_document(i, self.key) for i in items]
        if docs:
            await self._c.insert_many(docs, session=self._s)

    async def find(
        self, query: Document, *, sort: str | None = None, limit: int = 0, skip: int = 0
    ) -> list[M]:
        cursor = self._c.find(query, session=self._s)
        if sort:
            cursor = cursor.sort(sort, ASCENDING)
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        found: list[M] = []
        async for doc in cursor:
            item = self._load(doc)
            if item is not None:
                found.append(item)
        return found

    async def page(
        self, query: Document, *, sort: str, limit: int, skip: int
    ) -> tuple[int, list[M]]:
        """(how many match in all, the requested slice of them)."""
        total = await self._c.count_documents(query, session=self._s)
        return total, await self.find(query, sort=sort, limit=limit, skip=skip)


class EmployeeRepository(_Repository[Employee]):
    model = Employee
    key = "employee_id"

    async def get_many(self, ids: Iterable[str]) -> dict[str, Employee]:
        found = await self.find({"_id": {"$in": list(set(ids))}})
        return {e.employee_id: e for e in found}

    async def manager_map(self, ids: Iterable[str]) -> dict[str, str | None]:
        """Manager of each given employee and of everyone above them, walking up level by level."""
        managers: dict[str, str | None] = {}
        frontier = set(ids)
        while frontier:
            cursor = self._c.find(
                {"_id": {"$in": list(frontier)}}, {"manager_id": 1}, session=self._s
            )
            found = {d["_id"]: d.get("manager_id") async for d in cursor}
            managers.update(found)
            frontier = {m for m in found.values() if m is not None and m not in managers}
            frontier -= set(managers)
        return managers

    async def subtree(self, root: str) -> set[str]:
        """Everyone reporting to `root`, directly or further down (bounded)."""
        below: set[str] = set()
        frontier = {root}
        while frontier and len(below) < MAX_SUBTREE:
            cursor = self._c.find(
                {"manager_id": {"$in": list(frontier)}, "active": True}, {"_id": 1}, session=self._s
            )
            found = {d["_id"] async for d in cursor} - below - {root}
            below |= found
            frontier = found
        return below


class ProgramRepository(_Repository[Program]):
    model = Program
    key = "program_id"


class EnrollmentRepository(_Repository[Enrollment]):
    model = Enrollment
    key = "enrollment_id"

    async def active_of(self, program_id: str, employee_id: str) -> Enrollment | None:
        found = await self.find(
            {
                "program_id": program_id,
                "employee_id": employee_id,
                "status": EnrollmentStatus.ACTIVE.value,
            }
        )
        return found[0] if found else None

    async def active_in(self, program_id: str) -> list[Enrollment]:
        return await self.find(
            {"program_id": program_id, "status": EnrollmentStatus.ACTIVE.value},
            sort="enrollment_id",
        )


class PairRepository(_Repository[Pair]):
    model = Pair
    key = "pair_id"

    async def active_with(self, employee_ids: Iterable[str]) -> list[Pair]:
        ids = list(set(employee_ids))
        return await self.find(
            {
                "status": PairStatus.ACTIVE.value,
                "$or": [{"mentor_id": {"$in": ids}}, {"mentee_id": {"$in": ids}}],
            },
            sort="pair_id",
        )

    async def in_program(self, program_id: str, statuses: Iterable[PairStatus]) -> list[Pair]:
        return await self.find(
            {"program_id": program_id, "status": {"$in": [s.value for s in statuses]}},
            sort="pair_id",
        )

    async def supersede_proposals(self, program_id: str) -> int:
        result = await self._c.update_many(
            {"program_id": program_id, "status": PairStatus.PROPOSED.value},
            {"$set": {"status": PairStatus.SUPERSEDED.value}},
            session=self._s,
        )
        return int(result.modified_count)


class RunRepository(_Repository[MatchingRun]):
    model = MatchingRun
    key = "run_id"


class UnmatchedRepository(_Repository[UnmatchedEntry]):
    model = UnmatchedEntry
    key = "entry_id"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db["employees"].create_index("manager_id")
    await db["enrollments"].create_index([("program_id", 1), ("employee_id", 1), ("status", 1)])
    await db["pairs"].create_index([("program_id", 1), ("status", 1)])
    await db["pairs"].create_index([("mentor_id", 1), ("status", 1)])
    await db["pairs"].create_index([("mentee_id", 1), ("status", 1)])
    await db["pairs"].create_index("run_id")
    await db["matching_runs"].create_index("program_id")
    await db["run_unmatched"].create_index("run_id")
