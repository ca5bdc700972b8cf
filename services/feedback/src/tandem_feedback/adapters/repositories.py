"""MongoDB repositories of the feedback service, and the indexes their queries use."""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from tandem_feedback.domain.assessments import AssessmentRound
from tandem_feedback.domain.goals import GoalSheet
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.domain.programs import Program
from tandem_feedback.domain.sessions import SessionFeedback
from tandem_feedback.domain.surveys import Survey
from tandem_servicekit.mongo import Document
from tandem_servicekit.repository import M, MongoRepository, Page, Paging


def _either_member(employee_id: str) -> Document:
    return {"$or": [{"mentor_id": employee_id}, {"mentee_id": employee_id}]}


class _PairScoped(MongoRepository[M]):
    """Items of one pair of one program, woken by the ticker through `wake_at`."""

    async def of_pair(self, pair_id: str) -> list[M]:
        return await self._find({"pair_id": pair_id}, sort="_id")

    async def of_program(self, program_id: str) -> list[M]:
        return await self._find({"program_id": program_id}, sort="_id")

    async def due(self, now: datetime, limit: int) -> list[M]:
        return await self._find({"wake_at": {"$lte": now}}, sort="wake_at", limit=limit)


class MongoPrograms(MongoRepository[Program]):
    model = Program
    key = "program_id"

    async def closing(self, limit: int) -> list[Program]:
        return await self._find({"winding_down": True}, limit=limit)

    async def managed_by(self, employee_id: str) -> list[Program]:
        return await self._find({"manager_ids": employee_id})


class MongoPairs(MongoRepository[PairRecord]):
    model = PairRecord
    key = "pair_id"

    async def active_of_program(self, program_id: str, limit: int) -> list[PairRecord]:
        return await self._find({"program_id": program_id, "ended_at": None}, limit=limit)

    async def count_of_program(self, program_id: str) -> int:
        return await self._c.count_documents({"program_id": program_id}, session=self._s)

    async def of_person(self, employee_id: str) -> list[PairRecord]:
        return await self._find(_either_member(employee_id), sort="_id")


class MongoSheets(_PairScoped[GoalSheet]):
    model = GoalSheet
    key = "pair_id"


class MongoRounds(_PairScoped[AssessmentRound]):
    model = AssessmentRound
    key = "round_id"


class MongoSurveys(_PairScoped[Survey]):
    model = Survey
    key = "survey_id"

    async def of_person(self, employee_id: str, paging: Paging) -> Page[Survey]:
        return await self._page(_either_member(employee_id), sort="opens_at", paging=paging)


class MongoSessionFeedback(_PairScoped[SessionFeedback]):
    model = SessionFeedback
    key = "session_id"

    async def awaiting_pair(self, pair_id: str) -> list[SessionFeedback]:
        return await self._find({"pair_id": pair_id, "requested_at": None})

    async def given_by(self, employee_id: str, paging: Paging) -> Page[SessionFeedback]:
        query = {
            "$or": [
                {"entries.mentor.author_id": employee_id},
                {"entries.mentee.author_id": employee_id},
            ]
        }
        return await self._page(query, sort="held_at", paging=paging)


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    for name in ("sheets", "rounds", "surveys", "sessions"):
        await db[name].create_index("pair_id")
        await db[name].create_index("program_id")
        await db[name].create_index("wake_at", sparse=True)
    for name in ("pairs", "surveys"):
        await db[name].create_index("mentor_id")
        await db[name].create_index("mentee_id")
    await db["pairs"].create_index([("program_id", 1), ("ended_at", 1)])
    await db["surveys"].create_index("opens_at")
    await db["sessions"].create_index("entries.mentor.author_id", sparse=True)
    await db["sessions"].create_index("entries.mentee.author_id", sparse=True)
    await db["sessions"].create_index([("pair_id", 1), ("requested_at", 1)])
    await db["programs"].create_index("manager_ids")
    await db["programs"].create_index("winding_down")
