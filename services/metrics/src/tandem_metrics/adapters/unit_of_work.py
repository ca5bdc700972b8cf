"""The metrics service's unit of work: one MongoDB transaction over its facts."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne

from tandem_metrics.adapters.facts import MongoFacts
from tandem_metrics.service.projection import PEOPLE_KINDS
from tandem_servicekit.mongo import in_chunks
from tandem_servicekit.uow import MongoUnitOfWork, erased_digest

PSEUDONYMS = "erased_pseudonyms"
"""An erased person's pseudonym by the digest of their id: a replay of the topics (which keep
the ids until their retention) links their facts as before, so KPIs come out the same."""
LOCKS = "person_locks"
"""One marker per person named by facts (keyed by a digest of the id, never the id)."""


class MongoMetricsUnitOfWork(MongoUnitOfWork):
    facts: MongoFacts

    def _open_repositories(self) -> None:
        self.facts = MongoFacts(self.db, self.session)

    async def lock_people(self, employee_ids: Iterable[str], kinds: Iterable[str]) -> None:
        keys = sorted({f"{kind}:{erased_digest(e)}" for e in employee_ids for kind in kinds})
        markers = [UpdateOne({"_id": k}, {"$inc": {"writes": 1}}, upsert=True) for k in keys]
        if markers:
            await self.db[LOCKS].bulk_write(markers, ordered=False, session=self.session)

    async def pseudonyms_of(self, employee_ids: Iterable[str]) -> dict[str, str]:
        digests = {erased_digest(e): e for e in employee_ids}
        found: dict[str, str] = {}
        for chunk in in_chunks(digests):
            cursor = self.db[PSEUDONYMS].find({"_id": {"$in": chunk}}, session=self.session)
            found.update({digests[d["_id"]]: d["pseudonym"] async for d in cursor})
        return found

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        await self.lock_people([employee_id], PEOPLE_KINDS)  # writers naming them wait
        await self.remember_erased(employee_id)
        known = await self.pseudonyms_of([employee_id])
        pseudonym = known.get(employee_id, pseudonym)
        entry = {"_id": erased_digest(employee_id), "pseudonym": pseudonym}
        await self.db[PSEUDONYMS].replace_one(
            {"_id": entry["_id"]}, entry, upsert=True, session=self.session
        )
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
