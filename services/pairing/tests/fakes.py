"""Hand-written in-memory stand-ins for the pairing unit of work (unit tests of use cases only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.participants import reporting_chain
from tandem_servicekit.testing import FakeUnitOfWork

M = TypeVar("M", bound=BaseModel)


class FakeRepository(Generic[M]):
    def __init__(self, key: str) -> None:
        self.key = key
        self.items: dict[str, M] = {}

    async def get(self, key: str) -> M | None:
        return self.items.get(key)

    async def put(self, item: M) -> None:
        self.items[getattr(item, self.key)] = item

    async def put_many(self, items: Iterable[M]) -> None:
        for item in items:
            await self.put(item)

    async def find(self, query: dict[str, Any], **_: Any) -> list[M]:
        """Equality and `$in` on top-level fields: all the use cases ask of `find`."""

        def matches(item: M) -> bool:
            for field, wanted in query.items():
                value = getattr(item, field)
                value = getattr(value, "value", value)
                if isinstance(wanted, dict):
                    if value not in wanted["$in"]:
                        return False
                elif value != wanted:
                    return False
            return True

        return sorted(
            (i for i in self.items.values() if matches(i)), key=lambda i: getattr(i, self.key)
        )


class FakeEmployees(FakeRepository[Employee]):
    async def get_many(self, ids: Iterable[str]) -> dict[str, Employee]:
        return {i: self.items[i] for i in ids if i in self.items}

    async def manager_map(self, ids: Iterable[str]) -> dict[str, str | None]:
        return {e.employee_id: e.manager_id for e in self.items.values()}

    async def subtree(self, root: str) -> set[str]:
        managers = await self.manager_map([])
        return {e for e in managers if root in reporting_chain(e, managers)}


class FakeEnrollments(FakeRepository[Enrollment]):
    async def active_of(self, program_id: str, employee_id: str) -> Enrollment | None:
        found = await self.find(
            {
                "program_id": program_id,
                "employee_id": employee_id,
                "status": EnrollmentStatus.ACTIVE.value,
            }
        )
        return found[0] if found else None

    async def active_in(self, program_id: str) -> list[Enrollment]:
        return await self.find({"program_id": program_id, "status": EnrollmentStatus.ACTIVE.value})


class FakePairs(FakeRepository[Pair]):
    async def active_with(self, employee_ids: Iterable[str]) -> list[Pair]:
        ids = set(employee_ids)
        return [
            p
            for p in await self.find({"status": PairStatus.ACTIVE.value})
            if p.mentor_id in ids or p.mentee_id in ids
        ]

    async def in_program(self, program_id: str, statuses: Iterable[PairStatus]) -> list[Pair]:
        return await self.find(
            {"program_id": program_id, "status": {"$in": [s.value for s in statuses]}}
        )

    async def supersede_proposals(self, program_id: str) -> int:
        proposals = await self.in_program(program_id, [PairStatus.PROPOSED])
        for pair in proposals:
            await self.put(pair.model_copy(update={"status": PairStatus.SUPERSEDED}))
        return len(proposals)


class FakePairingUnitOfWork(FakeUnitOfWork):
    """The pairing unit of work over dictionaries; `published` collects what commits emitted."""

    def __init__(self) -> None:
        super().__init__()
        self.employees = FakeEmployees("employee_id")
        self.programs: FakeRepository[Any] = FakeRepository("program_id")
        self.enrollments = FakeEnrollments("enrollment_id")
        self.pairs = FakePairs("pair_id")
        self.runs: FakeRepository[Any] = FakeRepository("run_id")
        self.unmatched: FakeRepository[Any] = FakeRepository("entry_id")

    def published_types(self) -> list[str]:
        return [r.meta.type.split(".")[-2] for r in self.published]  # type: ignore[attr-defined]
