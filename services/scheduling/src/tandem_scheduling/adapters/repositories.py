"""MongoDB repositories of the scheduling service, and the indexes their queries use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from tandem_scheduling.domain.people import HrZone
from tandem_scheduling.domain.programs import Program
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session, SessionStatus
from tandem_servicekit.mongo import Document
from tandem_servicekit.repository import MongoRepository

SCHEDULED = SessionStatus.SCHEDULED.value


class MongoSeries(MongoRepository[Series]):
    model = Series
    key = "series_id"

    async def of_people(self, employee_ids: Iterable[str]) -> list[Series]:
        return await self._find_in("people", employee_ids, {"ended": False})

    async def of_pair(self, pair_id: str) -> Series | None:
        """A 1:1 or shadowing series is keyed by its pair (one lookup by id); a group's pairs
        are found through the index on `pairs.pair_id`."""
        own = await self.get(pair_id)
        return own if own is not None else await self._first({"pairs.pair_id": pair_id})

    async def of_program(self, program_id: str, limit: int) -> list[Series]:
        return await self._find({"program_id": program_id, "ended": False}, limit=limit)

    async def due(self, until: datetime, limit: int) -> list[Series]:
        return await self._find({"due_at": {"$lt": until}}, sort="due_at", limit=limit)


class MongoSessions(MongoRepository[Session]):
    model = Session
    key = "session_id"

    async def upcoming_for(self, employee_ids: Iterable[str], after: datetime) -> list[Session]:
        query = {"status": SCHEDULED, "ends_at": {"$gt": after}}
        return await self._find_in("participants", employee_ids, query)

    async def upcoming_of_series(self, series_id: str, after: datetime) -> list[Session]:
        query = {"series_id": series_id, "status": SCHEDULED, "starts_at": {"$gt": after}}
        return await self._find(query, sort="starts_at")

    async def upcoming_of_pair(self, pair_id: str, after: datetime) -> list[Session]:
        query = {"pair_id": pair_id, "status": SCHEDULED, "starts_at": {"$gt": after}}
        return await self._find(query, sort="starts_at")

    async def upcoming_of_program(
        self, program_id: str, after: datetime, limit: int
    ) -> list[Session]:
        query = {"program_id": program_id, "status": SCHEDULED, "starts_at": {"$gt": after}}
        return await self._find(query, limit=limit)

    async def of_meeting(self, meeting_id: str) -> list[Session]:
        return await self._find({"meeting_id": meeting_id}, sort="pair_id")

    async def of_pair(self, pair_id: str) -> list[Session]:
        return await self._find({"pair_id": pair_id}, sort="sequence")

    async def of_person(self, employee_id: str) -> list[Session]:
        return await self._find({"participants": employee_id}, sort="starts_at")

    async def reminders_due(self, now: datetime, limit: int) -> list[Session]:
        return await self._find({"reminder_at": {"$lte": now}}, sort="reminder_at", limit=limit)

    async def unconfirmed(self, now: datetime, limit: int) -> list[Session]:
        query = {"confirm_by": {"$lte": now}, "status": SCHEDULED}
        return await self._find(query, sort="confirm_by", limit=limit)


class MongoPrograms(MongoRepository[Program]):
    model = Program
    key = "program_id"

    async def managed_by(self, employee_id: str) -> set[str]:
        return {p.program_id for p in await self._find({"manager_ids": employee_id})}

    async def closing(self, limit: int) -> list[Program]:
        return await self._find({"winding_down": True}, limit=limit)


class MongoHrZones(MongoRepository[HrZone]):
    model = HrZone
    key = "employee_id"


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    await db["series"].create_index("people")
    await db["series"].create_index("pairs.pair_id")
    await db["series"].create_index([("program_id", 1), ("ended", 1)])
    await db["series"].create_index("due_at")
    sessions = db["sessions"]
    await sessions.create_index([("participants", 1), ("status", 1), ("ends_at", 1)])
    await sessions.create_index([("series_id", 1), ("starts_at", 1)])
    await sessions.create_index([("pair_id", 1), ("sequence", 1)])
    await sessions.create_index([("program_id", 1), ("status", 1), ("starts_at", 1)])
    await sessions.create_index("meeting_id")
    await sessions.create_index("reminder_at")
    await sessions.create_index("confirm_by")
    await db["programs"].create_index("manager_ids")
    await db["programs"].create_index("winding_down")
