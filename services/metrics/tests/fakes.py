"""A hand-written in-memory stand-in for the metrics ports (unit and property tests only)."""

from __future__ import annotations

from collections.abc import Iterable

from tandem_metrics.service.ports import Fields, Merge
from tandem_servicekit.clock import Clock
from tandem_servicekit.testing import FakeUnitOfWork


class FakeFacts:
    def __init__(self) -> None:
        self.kinds: dict[str, dict[str, Fields]] = {}

    async def merge_many(self, merges: Iterable[Merge]) -> None:
        for kind, key, fields in merges:
            self.kinds.setdefault(kind, {}).setdefault(key, {}).update(fields)

    async def of_program(self, kind: str, program_id: str) -> list[Fields]:
        found = self.kinds.get(kind, {})
        return [dict(found[k]) for k in sorted(found) if found[k].get("program_id") == program_id]

    async def every(self, kind: str) -> list[Fields]:
        found = self.kinds.get(kind, {})
        return [dict(found[k]) for k in sorted(found)]

    async def program_ids(self) -> list[str]:
        return sorted(self.kinds.get("programs", {}))


class FakeMetricsUnitOfWork(FakeUnitOfWork):
    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock)
        self.facts = FakeFacts()
        self.erased: set[str] = set()
        self.pseudonyms: dict[str, str] = {}
        self.locked: list[set[str]] = []

    async def pseudonyms_of(self, employee_ids: Iterable[str]) -> dict[str, str]:
        return {e: self.pseudonyms[e] for e in employee_ids if e in self.pseudonyms}

    async def lock_people(self, employee_ids: Iterable[str], kinds: Iterable[str]) -> None:
        self.locked.append({f"{k}:{e}" for e in employee_ids for k in kinds})

    async def forget_person(self, employee_id: str, pseudonym: str) -> int:
        self.erased.add(employee_id)
        pseudonym = self.pseudonyms.setdefault(employee_id, pseudonym)
        changed = 0
        for kind in self.facts.kinds.values():
            for fields in kind.values():
                for name, value in list(fields.items()):
                    if value == employee_id:
                        fields[name] = pseudonym
                        changed += 1
                    elif isinstance(value, list) and employee_id in value:
                        fields[name] = [pseudonym if v == employee_id else v for v in value]
                        changed += 1
        employees = self.facts.kinds.get("employees", {})
        if employee_id in employees:
            employees[pseudonym] = employees.pop(employee_id)
        return changed
