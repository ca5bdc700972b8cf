"""What the scheduling use cases need from storage, named by intent (the Mongo adapters and
the tests' fakes implement these protocols; mypy checks both)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from tandem_scheduling.domain.programs import Program
from tandem_scheduling.domain.series import Series
from tandem_scheduling.domain.sessions import Session
from tandem_servicekit.uow import UnitOfWork


class SeriesRepository(Protocol):
    async def get(self, key: str) -> Series | None: ...
    async def get_many(self, keys: Iterable[str]) -> dict[str, Series]: ...
    async def put(self, item: Series) -> None: ...
    async def put_many(self, items: Iterable[Series]) -> None: ...

    async def of_people(self, employee_ids: Iterable[str]) -> list[Series]:
        """Series still running that any of these people meet in."""
        ...

    async def of_pair(self, pair_id: str) -> Series | None: ...

    async def of_program(self, program_id: str, limit: int) -> list[Series]:
        """Up to `limit` series of the program still running."""
        ...

    async def due(self, until: datetime, limit: int) -> list[Series]:
        """Series with a planned week falling due before `until`."""
        ...


class SessionRepository(Protocol):
    async def get(self, key: str) -> Session | None: ...
    async def put(self, item: Session) -> None: ...
    async def put_many(self, items: Iterable[Session]) -> None: ...

    async def add_many(self, items: Iterable[Session]) -> None:
        """Store sessions not stored before."""
        ...

    async def upcoming_for(self, employee_ids: Iterable[str], after: datetime) -> list[Session]:
        """Scheduled sessions of these people ending after `after`."""
        ...

    async def upcoming_of_series(self, series_id: str, after: datetime) -> list[Session]:
        """Scheduled sessions of the series starting after `after`."""
        ...

    async def upcoming_of_pair(self, pair_id: str, after: datetime) -> list[Session]: ...

    async def upcoming_of_program(
        self, program_id: str, after: datetime, limit: int
    ) -> list[Session]: ...

    async def of_meeting(self, meeting_id: str) -> list[Session]: ...

    async def of_pair(self, pair_id: str) -> list[Session]: ...

    async def of_person(self, employee_id: str) -> list[Session]: ...

    async def reminders_due(self, now: datetime, limit: int) -> list[Session]: ...

    async def unconfirmed(self, now: datetime, limit: int) -> list[Session]:
        """Scheduled sessions whose confirmation window has closed by `now`."""
        ...


class ProgramRepository(Protocol):
    async def get(self, key: str) -> Program | None: ...
    async def get_many(self, keys: Iterable[str]) -> dict[str, Program]: ...
    async def put(self, item: Program) -> None: ...

    async def managed_by(self, employee_id: str) -> set[str]:
        """The ids of the programs this person manages."""
        ...

    async def closing(self, limit: int) -> list[Program]:
        """Closed programs whose sessions are still being cancelled."""
        ...


class SchedulingUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the scheduling service's repositories."""

    @property
    def series(self) -> SeriesRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def programs(self) -> ProgramRepository: ...

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        """Replace the person by `pseudonym` everywhere, forget their availability, and
        remember (as a digest) that they were erased."""
        ...

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        """Which of these people were erased: pairs naming them are not planned."""
        ...
