"""The scheduling service's unit of work: one MongoDB transaction over its repositories."""

from __future__ import annotations

from collections.abc import Iterable

from pymongo import UpdateOne

from tandem_scheduling.adapters.repositories import (
    MongoHrZones,
    MongoPrograms,
    MongoSeries,
    MongoSessions,
)
from tandem_servicekit.mongo import Document
from tandem_servicekit.uow import MongoUnitOfWork, erased_digest

FORGOTTEN = {"time_zone": "UTC", "slots": []}
LOCKS = "calendar_locks"
"""One marker per person whose calendar a transaction placed sessions in (keyed by a digest
of the id, deleted on erasure)."""


class MongoSchedulingUnitOfWork(MongoUnitOfWork):
    series: MongoSeries
    sessions: MongoSessions
    programs: MongoPrograms
    zones: MongoHrZones

    def _open_repositories(self) -> None:
        s, t = self.session, self.tracker
        self.series = MongoSeries(self.collection("series"), s, t)
        self.sessions = MongoSessions(self.collection("sessions"), s, t)
        self.programs = MongoPrograms(self.collection("programs"), s, t)
        self.zones = MongoHrZones(self.collection("hr_zones"), s, t)

    async def lock_calendars(self, employee_ids: Iterable[str]) -> None:
        markers = [
            UpdateOne({"_id": erased_digest(e)}, {"$inc": {"writes": 1}}, upsert=True)
            for e in sorted(set(employee_ids))
        ]
        if markers:
            await self.db[LOCKS].bulk_write(markers, ordered=False, session=self.session)

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        s, db, changed = self.session, self.db, 0
        await self.remember_erased(employee_id)
        await db[LOCKS].delete_one({"_id": erased_digest(employee_id)}, session=s)
        zone = await db["hr_zones"].delete_one({"_id": employee_id}, session=s)
        changed += zone.deleted_count
        notes = await db["sessions"].update_many(
            {"participants": employee_id, "cancel_note": {"$ne": None}},
            {"$set": {"cancel_note": None}},
            session=s,
        )
        changed += notes.modified_count
        erased = {"employee_id": pseudonym, "availability": FORGOTTEN}
        updates: list[tuple[str, Document, Document, list[Document] | None]] = [
            ("series", {"mentor.employee_id": employee_id}, {"$set": {"mentor": erased}}, None),
            (
                "series",
                {"pairs.mentee.employee_id": employee_id},
                {"$set": {"pairs.$[p].mentee": erased}},
                [{"p.mentee.employee_id": employee_id}],
            ),
            (
                "sessions",
                {"mentor_id": employee_id},
                {"$set": {"mentor_id": pseudonym, "mentor_time_zone": "UTC"}},
                None,
            ),
            (
                "sessions",
                {"mentee_id": employee_id},
                {"$set": {"mentee_id": pseudonym, "mentee_time_zone": "UTC"}},
                None,
            ),
        ]
        for collection, where, change, filters in updates:
            result = await db[collection].update_many(
                where, change, array_filters=filters, session=s
            )
            changed += result.modified_count
        lists = [("series", "people"), ("sessions", "participants"), ("programs", "manager_ids")]
        changed += await self.rename_person(employee_id, pseudonym, lists=lists)
        return changed + await self.scrub_outbox(employee_id, pseudonym)
