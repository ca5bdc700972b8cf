"""MongoDB repositories of the pairing service; every call runs in the unit of work's session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from tandem_contracts import Event, model_for
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import SUPERSEDED_KEEP_S, Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, RunStatus, UnmatchedEntry
from tandem_pairing.service.ports import EmployeeQuery, EnrollmentQuery, PairQuery, RosterBusy
from tandem_servicekit.mongo import Document, in_chunks
from tandem_servicekit.repository import (
    EPOCH,
    MICROS,
    MongoRepository,
    Page,
    Paging,
    to_document,
)

MAX_SUBTREE = 100_000


class MongoEmployees(MongoRepository[Employee]):
    model = Employee
    key = "employee_id"

    async def manager_map(self, employee_ids: Iterable[str]) -> dict[str, str | None]:
        """Walks up level by level: one query per level of the hierarchy."""
        managers: dict[str, str | None] = {}
        frontier = set(employee_ids)
        while frontier:
            found: dict[str, str | None] = {}
            for chunk in in_chunks(frontier):
                cursor = self._c.find({"_id": {"$in": chunk}}, {"manager_id": 1}, session=self._s)
                found.update({d["_id"]: d.get("manager_id") async for d in cursor})
            managers.update(found)
            frontier = {m for m in found.values() if m is not None and m not in managers}
        return managers

    async def directory(self) -> dict[str, Employee]:
        """One collection scan; people who left stay in it, since they can still stand in
        someone's reporting line."""
        return {e.employee_id: e for e in await self._find({})}

    async def page(self, query: EmployeeQuery, paging: Paging) -> Page[Employee]:
        find: Document = {}
        if query.active is not None:
            find["active"] = query.active
        if query.department is not None:
            find["department"] = query.department
        if query.manager_id is not None:
            find["manager_id"] = query.manager_id
        # `_id` is the employee id: the same order, and its index serves the sort.
        return await self._page(find, sort="_id", paging=paging)

    async def reporting_to(self, roots: Iterable[str]) -> set[str]:
        """Walks down level by level (bounded)."""
        start = set(roots)
        below: set[str] = set()
        frontier = set(start)
        while frontier and len(below) < MAX_SUBTREE:
            found: set[str] = set()
            for chunk in in_chunks(frontier):
                query = {"manager_id": {"$in": chunk}, "active": True}
                cursor = self._c.find(query, {"_id": 1}, session=self._s)
                found.update({d["_id"] async for d in cursor})
            found -= below | start
            below |= found
            frontier = found
        return below


class MongoPrograms(MongoRepository[Program]):
    model = Program
    key = "program_id"

    async def listing(self) -> list[Program]:
        return await self._find({}, sort="created_at")


class MongoEnrollments(MongoRepository[Enrollment]):
    model = Enrollment
    key = "enrollment_id"

    async def active_of(self, program_id: str, employee_id: str) -> Enrollment | None:
        return await self._first(
            {
                "program_id": program_id,
                "employee_id": employee_id,
                "status": EnrollmentStatus.ACTIVE.value,
            }
        )

    async def active_in(self, program_id: str) -> list[Enrollment]:
        return await self._find(
            {"program_id": program_id, "status": EnrollmentStatus.ACTIVE.value},
            sort="enrollment_id",
        )

    async def active_for(self, employee_ids: Iterable[str]) -> list[Enrollment]:
        found = await self._find_in("employee_id", employee_ids, {"status": "active"})
        return sorted(found, key=lambda e: e.enrollment_id)

    async def page_in(
        self, program_id: str, query: EnrollmentQuery, paging: Paging
    ) -> Page[Enrollment]:
        find: Document = {"program_id": program_id}
        if query.status is not None:
            find["status"] = query.status.value
        if query.employee_id is not None:
            find["employee_id"] = query.employee_id
        return await self._page(find, sort="enrollment_id", paging=paging)


STAGED_PAIRS = "staged_pairs"
"""A run's pairs between being computed and being published (with the events they recorded)."""


class MongoRosters:
    """One small document per program (`program_rosters`), written by the transactions that
    must not interleave with a run's publication."""

    def __init__(self, collection: AsyncCollection[Document], session: AsyncClientSession) -> None:
        self._c, self._s = collection, session

    async def version(self, program_id: str) -> int:
        doc = await self._c.find_one({"_id": program_id}, {"version": 1}, session=self._s)
        return int(doc.get("version", 0)) if doc else 0

    async def bump(self, program_ids: Iterable[str]) -> None:
        for program_id in sorted(set(program_ids)):
            publishing = await self.publishing(program_id)
            if publishing is not None:
                raise RosterBusy(
                    f"matching run {publishing} is publishing its pairs in program "
                    f"{program_id}; retry in a few seconds"
                )
            await self._c.update_one(
                {"_id": program_id}, {"$inc": {"version": 1}}, upsert=True, session=self._s
            )

    async def publishing(self, program_id: str) -> str | None:
        return await self._get(program_id, "publishing")

    async def set_publishing(self, program_id: str, run_id: str | None) -> None:
        await self._set(program_id, "publishing", run_id)

    async def pending_run(self, program_id: str) -> str | None:
        return await self._get(program_id, "pending_run")

    async def set_pending_run(self, program_id: str, run_id: str | None) -> None:
        await self._set(program_id, "pending_run", run_id)

    async def _get(self, program_id: str, field: str) -> str | None:
        doc = await self._c.find_one({"_id": program_id}, {field: 1}, session=self._s)
        value = doc.get(field) if doc else None
        return str(value) if value is not None else None

    async def _set(self, program_id: str, field: str, value: str | None) -> None:
        await self._c.update_one(
            {"_id": program_id}, {"$set": {field: value}}, upsert=True, session=self._s
        )


class MongoPairs(MongoRepository[Pair]):
    model = Pair
    key = "pair_id"

    async def active_for(self, employee_ids: Iterable[str]) -> list[Pair]:
        ids = sorted(set(employee_ids))
        active = {"status": PairStatus.ACTIVE.value}
        found = {
            p.pair_id: p
            for field in ("mentor_id", "mentee_id")
            for p in await self._find_in(field, ids, active)
        }
        return sorted(found.values(), key=lambda p: p.pair_id)

    async def any_active(self) -> bool:
        return await self._first({"status": PairStatus.ACTIVE.value}) is not None

    async def in_program(self, program_id: str, statuses: Iterable[PairStatus]) -> list[Pair]:
        return await self._find(
            {"program_id": program_id, "status": {"$in": [s.value for s in statuses]}},
            sort="pair_id",
        )

    async def supersede_proposals(self, program_id: str, at: datetime) -> int:
        result = await self._c.update_many(
            _open_proposals(program_id), _superseded(at), session=self._s
        )
        return int(result.modified_count)

    @property
    def _staged(self) -> AsyncCollection[Document]:
        return self._c.database[STAGED_PAIRS]

    async def stage(self, run_id: str, pairs: Sequence[Pair], first: int) -> None:
        docs = [
            {
                "_id": pair.pair_id,
                "run_id": run_id,
                "seq": first + n,
                "pair": to_document(pair, self.key),
                # Read, not collected: a retried chunk stages the same events again.
                "events": [
                    {"type": e.event_type, "data": e.model_dump_json()} for e in pair.pending_events
                ],
            }
            for n, pair in enumerate(pairs)
        ]
        if docs:
            await self._staged.insert_many(docs, session=self._s)

    async def publish_staged(self, run_id: str, limit: int) -> tuple[int, list[Event]]:
        cursor = self._staged.find({"run_id": run_id}, session=self._s).sort("seq", 1)
        docs = await cursor.limit(limit).to_list()
        if not docs:
            return 0, []
        await self._c.insert_many([d["pair"] for d in docs], session=self._s)
        last = docs[-1]["seq"]
        await self._staged.delete_many({"run_id": run_id, "seq": {"$lte": last}}, session=self._s)
        events = []
        for doc in docs:
            for e in doc["events"]:
                model = model_for(e["type"])
                if model is None:  # written by this service: a type it knows
                    raise RuntimeError(f"staged event of unknown type {e['type']}")
                events.append(model.model_validate_json(e["data"]))
        return len(docs), events

    async def discard_staged(self, run_id: str) -> int:
        result = await self._staged.delete_many({"run_id": run_id}, session=self._s)
        return int(result.deleted_count)

    async def withdraw_proposals(self, program_id: str, at: datetime) -> int:
        """Outside the unit of work's transaction: one statement, each proposal changed on its
        own (no transaction time limit, however many there are)."""
        result = await self._c.update_many(_open_proposals(program_id), _superseded(at))
        return int(result.modified_count)

    async def page_in(self, program_id: str, query: PairQuery, paging: Paging) -> Page[Pair]:
        find: Document = {"program_id": program_id}
        if query.status is not None:
            find["status"] = query.status.value
        if query.run_id is not None:
            find["run_id"] = query.run_id
        if query.employee_id is not None:
            find["$or"] = [{"mentor_id": query.employee_id}, {"mentee_id": query.employee_id}]
        return await self._page(find, sort="pair_id", paging=paging)


def _open_proposals(program_id: str) -> Document:
    return {"program_id": program_id, "status": PairStatus.PROPOSED.value}


def _superseded(at: datetime) -> Document:
    return {
        "$set": {
            "status": PairStatus.SUPERSEDED.value,
            "superseded_at": at,
            "superseded_at" + MICROS: (at - EPOCH) // timedelta(microseconds=1),
        }
    }


class MongoRuns(MongoRepository[MatchingRun]):
    model = MatchingRun
    key = "run_id"

    async def of_program(self, program_id: str) -> list[MatchingRun]:
        return await self._find({"program_id": program_id}, sort="created_at")

    async def claim(self, worker: str, now: datetime, until: datetime) -> MatchingRun | None:
        doc = await self._c.find_one_and_update(
            {
                "$or": [
                    {"status": RunStatus.QUEUED.value},
                    {"status": RunStatus.RUNNING.value, "lease_until": {"$lt": now}},
                ]
            },
            {
                "$set": {
                    "status": RunStatus.RUNNING.value,
                    "worker": worker,
                    "lease_until": until,
                },
                "$inc": {"attempts": 1},
            },
            sort=[("created_at", 1)],
            return_document=ReturnDocument.AFTER,
            session=self._s,
        )
        return None if doc is None else self._load(doc)

    async def renew(self, run_id: str, worker: str, until: datetime) -> bool:
        result = await self._c.update_one(
            {"_id": run_id, "worker": worker, "status": RunStatus.RUNNING.value},
            {"$set": {"lease_until": until}},
            session=self._s,
        )
        return bool(result.matched_count)

    async def holder(self, run_id: str) -> str | None:
        doc = await self._c.find_one(
            {"_id": run_id, "status": RunStatus.RUNNING.value}, {"worker": 1}, session=self._s
        )
        return doc.get("worker") if doc else None

    async def put(self, item: MatchingRun) -> None:
        """Store the run's state; while it runs, its worker's lease fields are kept."""
        doc = to_document(item, self.key)
        key = doc.pop("_id")
        await self._c.update_one({"_id": key}, {"$set": doc}, upsert=True, session=self._s)
        self._tracker.stored(item)


class MongoUnmatched(MongoRepository[UnmatchedEntry]):
    model = UnmatchedEntry
    key = "entry_id"

    async def page_of(self, run_id: str, paging: Paging) -> Page[UnmatchedEntry]:
        return await self._page({"run_id": run_id}, sort="entry_id", paging=paging)

    async def discard_of(self, run_id: str) -> int:
        result = await self._c.delete_many({"run_id": run_id}, session=self._s)
        return int(result.deleted_count)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db["employees"].create_index("manager_id")
    await db["employees"].create_index([("department", 1), ("employee_id", 1)])
    await db["enrollments"].create_index([("program_id", 1), ("employee_id", 1), ("status", 1)])
    await db["enrollments"].create_index([("employee_id", 1), ("status", 1)])
    # Erasure replaces the person in others' wishes and in unmatched reports.
    await db["enrollments"].create_index("avoid_employee_ids")
    await db["enrollments"].create_index("preferred_employee_ids")
    await db["run_unmatched"].create_index("employee_id")
    await db["pairs"].create_index([("program_id", 1), ("status", 1)])
    await db["pairs"].create_index("status")
    await db["pairs"].create_index([("mentor_id", 1), ("status", 1)])
    await db["pairs"].create_index([("mentee_id", 1), ("status", 1)])
    await db["pairs"].create_index("run_id")
    # Superseded proposals are history nobody acts on: MongoDB deletes them after a while
    # (TTL; the field is null on every other pair, which TTL ignores).
    await db["pairs"].create_index("superseded_at", expireAfterSeconds=SUPERSEDED_KEEP_S)
    await db[STAGED_PAIRS].create_index([("run_id", 1), ("seq", 1)])
    await db["matching_runs"].create_index("program_id")
    await db["matching_runs"].create_index([("status", 1), ("created_at", 1)])
    await db["run_unmatched"].create_index("run_id")
