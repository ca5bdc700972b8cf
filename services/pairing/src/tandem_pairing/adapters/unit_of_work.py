"""The pairing service's unit of work: one MongoDB transaction over its repositories."""

from __future__ import annotations

from tandem_pairing.adapters.repositories import (
    MongoEmployees,
    MongoEnrollments,
    MongoPairs,
    MongoPrograms,
    MongoRosters,
    MongoRuns,
    MongoUnmatched,
)
from tandem_servicekit.uow import MongoUnitOfWork


class MongoPairingUnitOfWork(MongoUnitOfWork):
    employees: MongoEmployees
    programs: MongoPrograms
    enrollments: MongoEnrollments
    pairs: MongoPairs
    runs: MongoRuns
    rosters: MongoRosters
    unmatched: MongoUnmatched

    def _open_repositories(self) -> None:
        s, t = self.session, self.tracker
        self.employees = MongoEmployees(self.collection("employees"), s, t)
        self.programs = MongoPrograms(self.collection("programs"), s, t)
        self.enrollments = MongoEnrollments(self.collection("enrollments"), s, t)
        self.pairs = MongoPairs(self.collection("pairs"), s, t)
        self.runs = MongoRuns(self.collection("matching_runs"), s, t)
        self.unmatched = MongoUnmatched(self.collection("run_unmatched"), s, t)
        self.rosters = MongoRosters(self.collection("program_rosters"), s)

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        """Pseudonymise the person everywhere in this database, in this transaction.

        Their HR record keeps only a tombstone under the pseudonym; their enrollments lose
        availability, languages and wishes; every id reference (pairs, managers, wishes of
        others, unmatched entries, program managers) becomes the pseudonym, so counts and
        aggregates stay as they were. Published outbox entries that mention them are deleted.
        """
        s, db, changed = self.session, self.db, 0
        await self.remember_erased(employee_id)
        # A run computed before the erasure must not publish pairs naming the person.
        enrollments = db["enrollments"].find(
            {"employee_id": employee_id}, {"program_id": 1}, session=s
        )
        await self.rosters.bump([d["program_id"] async for d in enrollments])
        known = await db["employees"].find_one({"_id": employee_id}, session=s)
        if known is not None:
            await db["employees"].delete_one({"_id": employee_id}, session=s)
            tombstone = {
                "_id": pseudonym,
                "employee_id": pseudonym,
                "active": False,
                "effective_at": known["effective_at"],
                "effective_at__us": known.get("effective_at__us"),
            }
            await db["employees"].insert_one(tombstone, session=s)
            changed += 1
        changed += await self.rename_person(
            employee_id,
            pseudonym,
            fields=[
                ("employees", "manager_id"),
                ("enrollments", "employee_id"),
                ("pairs", "mentor_id"),
                ("pairs", "mentee_id"),
                ("run_unmatched", "employee_id"),
            ],
            lists=[
                ("enrollments", "avoid_employee_ids"),
                ("enrollments", "preferred_employee_ids"),
                ("programs", "manager_ids"),
            ],
        )
        own = await db["enrollments"].update_many(
            {"employee_id": pseudonym},
            {
                "$set": {
                    "availability": {"time_zone": "UTC", "slots": []},
                    "languages": [],
                    "avoid_employee_ids": [],
                    "preferred_employee_ids": [],
                }
            },
            session=s,
        )
        changed += own.modified_count
        return changed + await self.scrub_outbox(employee_id, pseudonym)
