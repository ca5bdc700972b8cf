"""The pairing service's unit of work: one transaction over its repositories."""

from __future__ import annotations

from tandem_pairing.adapters.repositories import (
    EmployeeRepository,
    EnrollmentRepository,
    PairRepository,
    ProgramRepository,
    RunRepository,
    UnmatchedRepository,
)
from tandem_servicekit.uow import MongoUnitOfWork


class PairingUnitOfWork(MongoUnitOfWork):
    employees: EmployeeRepository
    programs: ProgramRepository
    enrollments: EnrollmentRepository
    pairs: PairRepository
    runs: RunRepository
    unmatched: UnmatchedRepository

    async def _begin(self) -> None:
        await super()._begin()
        s = self.session
        self.employees = EmployeeRepository(self.db["employees"], s)
        self.programs = ProgramRepository(self.db["programs"], s)
        self.enrollments = EnrollmentRepository(self.db["enrollments"], s)
        self.pairs = PairRepository(self.db["pairs"], s)
        self.runs = RunRepository(self.db["matching_runs"], s)
        self.unmatched = UnmatchedRepository(self.db["run_unmatched"], s)
