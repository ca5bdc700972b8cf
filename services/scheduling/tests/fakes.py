"""Hand-written in-memory stand-ins for the scheduling ports (unit tests of use cases only);
mypy checks them against the protocols wherever a test hands them to a use case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tandem_scheduling.domain.people import HrZone
from tandem_scheduling.domain.programs import Program
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session, SessionStatus
from tandem_servicekit.clock import Clock
from tandem_servicekit.testing import FakeRepository, FakeUnitOfWork

SCHEDULED = SessionStatus.SCHEDULED


class FakeSeries(FakeRepository[Series]):
    key = "series_id"

    async def of_people(self, employee_ids: Iterable[str]) -> list[Series]:
        wanted = set(employee_ids)
        return self._where(lambda s: not s.ended and bool(wanted & set(s.people)))

    async def of_pair(self, pair_id: str) -> Series | None:
        found = self._where(lambda s: s.pair(pair_id) is not None)
        return found[0] if found else None

    async def of_program(self, program_id: str, limit: int) -> list[Series]:
        return self._where(lambda s: s.program_id == program_id and not s.ended)[:limit]

    async def due(self, until: datetime, limit: int) -> list[Series]:
        found = self._where(lambda s: s.due_at is not None and s.due_at < until)
        return sorted(found, key=lambda s: s.due_at or until)[:limit]


class FakeSessions(FakeRepository[Session]):
    key = "session_id"

    async def upcoming_for(self, employee_ids: Iterable[str], after: datetime) -> list[Session]:
        wanted = set(employee_ids)
        return self._where(
            lambda s: (
                s.status is SCHEDULED and s.ends_at > after and bool(wanted & set(s.participants))
            )
        )

    async def upcoming_of_series(self, series_id: str, after: datetime) -> list[Session]:
        return self._where(
            lambda s: s.series_id == series_id and s.status is SCHEDULED and s.starts_at > after,
            sort="starts_at",
        )

    async def upcoming_of_pair(self, pair_id: str, after: datetime) -> list[Session]:
        return self._where(
            lambda s: s.pair_id == pair_id and s.status is SCHEDULED and s.starts_at > after,
            sort="starts_at",
        )

    async def upcoming_of_program(
        self, program_id: str, after: datetime, limit: int
    ) -> list[Session]:
        return self._where(
            lambda s: s.program_id == program_id and s.status is SCHEDULED and s.starts_at > after
        )[:limit]

    async def of_meeting(self, meeting_id: str) -> list[Session]:
        return self._where(lambda s: s.meeting_id == meeting_id, sort="pair_id")

    async def of_pair(self, pair_id: str) -> list[Session]:
        return self._where(lambda s: s.pair_id == pair_id, sort="sequence")

    async def of_person(self, employee_id: str) -> list[Session]:
        return self._where(lambda s: employee_id in s.participants, sort="starts_at")

    async def reminders_due(self, now: datetime, limit: int) -> list[Session]:
        return self._where(lambda s: s.reminder_at is not None and s.reminder_at <= now)[:limit]

    async def unconfirmed(self, now: datetime, limit: int) -> list[Session]:
        return self._where(
            lambda s: s.status is SCHEDULED and s.confirm_by is not None and s.confirm_by <= now
        )[:limit]


class FakePrograms(FakeRepository[Program]):
    key = "program_id"

    async def managed_by(self, employee_id: str) -> set[str]:
        return {p.program_id for p in self.items.values() if employee_id in p.manager_ids}

    async def closing(self, limit: int) -> list[Program]:
        return self._where(lambda p: p.winding_down)[:limit]


class FakeHrZones(FakeRepository[HrZone]):
    key = "employee_id"


class FakeSchedulingUnitOfWork(FakeUnitOfWork):
    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock)
        self.series = FakeSeries(self.tracker)
        self.sessions = FakeSessions(self.tracker)
        self.programs = FakePrograms(self.tracker)
        self.zones = FakeHrZones(self.tracker)
        self.erased: set[str] = set()
        self.locked: list[set[str]] = []

    async def lock_calendars(self, employee_ids: Iterable[str]) -> None:
        self.locked.append(set(employee_ids))

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        return self.erased & set(employee_ids)

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        self.erased.add(employee_id)
        changed = 1 if self.zones.items.pop(employee_id, None) else 0
        for key, series in list(self.series.items.items()):
            if employee_id in series.people or series.person(employee_id) is not None:
                self.series.items[key] = series.renamed(employee_id, pseudonym)
                changed += 1
        for key, session in list(self.sessions.items.items()):
            if employee_id in session.participants:
                self.sessions.items[key] = session.renamed(employee_id, pseudonym)
                changed += 1
        return changed
