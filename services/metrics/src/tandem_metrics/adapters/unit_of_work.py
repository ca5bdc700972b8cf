"""The metrics service's unit of work: one MongoDB transaction over its facts."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne

from tandem_metrics.adapters.facts import MongoFacts
from tandem_servicekit.uow import MongoUnitOfWork, erased_digest

LOCKS = "person_locks"
"""One marker per person named by facts (keyed by a digest of the id, never the id)."""


class MongoMetricsUnitOfWork(MongoUnitOfWork):
    facts: MongoFacts

    def _open_repositories(self) -> None:
        self.facts = MongoFacts(self.db, self.session)

    async def lock_people(self, employee_ids: Iterable[str]) -> None:
        markers = [
            UpdateOne({"_id": erased_digest(e)}, {"$inc": {"writes": 1}}, upsert=True)
            for e in sorted(set(employee_ids))
        ]
        if markers:
            await self.db[LOCKS].bulk_write(markers, ordered=False, session=self.session)

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        await self.lock_people([employee_id])  # facts naming them being written alongside wait
        await self.remember_erased(employee_id)
        s, changed = self.session, 0
        employee = await self.db["employees"].find_one_and_delete({"_id": employee_id}, session=s)
        if employee is not None:
            renamed = {**employee, "_id": pseudonym, "employee_id": pseudonym}
            await self.db["employees"].insert_one(renamed, session=s)
            changed += 1
        fields = [("enrollments", "employee_id"), ("pairs", "mentor_id"), ("pairs", "mentee_id")]
        changed += await self.rename_person(employee_id, pseudonym, fields=fields)
        lists = [("programs", "manager_ids")]
        changed += await self.rename_person(employee_id, pseudonym, lists=lists)
        return changed + await self.scrub_outbox(employee_id, pseudonym)
