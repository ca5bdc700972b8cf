"""The feedback service's unit of work: one MongoDB transaction over its repositories."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne

from tandem_feedback.adapters.repositories import (
    MongoPairs,
    MongoPrograms,
    MongoRounds,
    MongoSessionFeedback,
    MongoSheets,
    MongoSurveys,
)
from tandem_servicekit.uow import MongoUnitOfWork, erased_digest

LOCKS = "locks"
"""Markers that make concurrent transactions on one pair or person conflict: pair ids, and
digests of employee ids (never the ids)."""


class MongoFeedbackUnitOfWork(MongoUnitOfWork):
    programs: MongoPrograms
    pairs: MongoPairs
    sheets: MongoSheets
    sessions: MongoSessionFeedback
    rounds: MongoRounds
    surveys: MongoSurveys

    def _open_repositories(self) -> None:
        s, t = self.session, self.tracker
        self.programs = MongoPrograms(self.collection("programs"), s, t)
        self.pairs = MongoPairs(self.collection("pairs"), s, t)
        self.sheets = MongoSheets(self.collection("sheets"), s, t)
        self.sessions = MongoSessionFeedback(self.collection("sessions"), s, t)
        self.rounds = MongoRounds(self.collection("rounds"), s, t)
        self.surveys = MongoSurveys(self.collection("surveys"), s, t)

    async def lock_pairs(self, pair_ids: Iterable[str]) -> None:
        await self._lock(f"pair:{p}" for p in pair_ids)

    async def lock_people(self, employee_ids: Iterable[str]) -> None:
        await self._lock(f"person:{erased_digest(e)}" for e in employee_ids)

    async def _lock(self, keys: Iterable[str]) -> None:
        markers = [
            UpdateOne({"_id": k}, {"$inc": {"writes": 1}}, upsert=True) for k in sorted(set(keys))
        ]
        if markers:
            await self.db[LOCKS].bulk_write(markers, ordered=False, session=self.session)

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        await self.lock_people([employee_id])  # a pair being recorded alongside conflicts
        await self.remember_erased(employee_id)
        return await self.scrub_outbox(employee_id, pseudonym)
