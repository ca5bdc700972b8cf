"""The pairing service's unit of work: one MongoDB transaction over its repositories."""

from __future__ import annotations

from tandem_pairing.adapters.repositories import (
    MongoEmployees,
    MongoEnrollments,
    MongoPairs,
    MongoPrograms,
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
    unmatched: MongoUnmatched

    def _open_repositories(self) -> None:
        s, t = self.session, self.tracker
        self.employees = MongoEmployees(self.collection("employees"), s, t)
        self.programs = MongoPrograms(self.collection("programs"), s, t)
        self.enrollments = MongoEnrollments(self.collection("enrollments"), s, t)
        self.pairs = MongoPairs(self.collection("pairs"), s, t)
        self.runs = MongoRuns(self.collection("matching_runs"), s, t)
        self.unmatched = MongoUnmatched(self.collection("run_unmatched"), s, t)
