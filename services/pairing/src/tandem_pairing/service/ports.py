"""What the pairing use cases need from storage, named by intent.

The Mongo adapters and the tests' in-memory fakes both implement these protocols, and mypy
checks both against them: a use case never sees a query language.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tandem_contracts import Event
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_servicekit.errors import TransientError
from tandem_servicekit.repository import Page, Paging
from tandem_servicekit.uow import UnitOfWork


@dataclass(frozen=True)
class EnrollmentQuery:
    """Which of a program's enrollments a listing shows (None: any)."""

    status: EnrollmentStatus | None = None
    employee_id: str | None = None


@dataclass(frozen=True)
class EmployeeQuery:
    """Which employees of the HR projection a listing shows (None: any)."""

    active: bool | None = None
    department: str | None = None
    manager_id: str | None = None


@dataclass(frozen=True)
class PairQuery:
    """Which of a program's pairs a listing shows; `employee_id`: the pairs they are in."""

    status: PairStatus | None = None
    run_id: str | None = None
    employee_id: str | None = None


class EmployeeRepository(Protocol):
    async def get(self, key: str) -> Employee | None: ...
    async def get_many(self, keys: Iterable[str]) -> dict[str, Employee]: ...
    async def put_many(self, items: Iterable[Employee]) -> None: ...

    async def add_many(self, items: Iterable[Employee]) -> None:
        """Store employees not known before (cheaper than `put_many`)."""
        ...

    async def manager_map(self, employee_ids: Iterable[str]) -> dict[str, str | None]:
        """The manager of each given employee and of everyone above them."""
        ...

    async def directory(self) -> dict[str, Employee]:
        """Everyone still employed, in one scan of the projection (a matching run's snapshot:
        cheaper than looking tens of thousands of ids up, and every reporting line is in it)."""
        ...

    async def reporting_to(self, roots: Iterable[str]) -> set[str]:
        """Everyone still employed below any of `roots`, directly or further down."""
        ...

    async def page(self, query: EmployeeQuery, paging: Paging) -> Page[Employee]:
        """The projection in employee-id order."""
        ...


class ProgramRepository(Protocol):
    async def get(self, key: str) -> Program | None: ...
    async def put(self, item: Program) -> None: ...
    async def listing(self) -> list[Program]: ...


class EnrollmentRepository(Protocol):
    async def get(self, key: str) -> Enrollment | None: ...
    async def get_many(self, keys: Iterable[str]) -> dict[str, Enrollment]: ...
    async def put(self, item: Enrollment) -> None: ...
    async def put_many(self, items: Iterable[Enrollment]) -> None: ...
    async def active_of(self, program_id: str, employee_id: str) -> Enrollment | None: ...
    async def active_in(self, program_id: str) -> list[Enrollment]: ...

    async def active_for(self, employee_ids: Iterable[str]) -> list[Enrollment]:
        """The active enrollments of these people, in any program."""
        ...

    async def page_in(
        self, program_id: str, query: EnrollmentQuery, paging: Paging
    ) -> Page[Enrollment]: ...


class RosterBusy(TransientError):
    """A matching run is publishing its pairs in this program: a change that could invalidate
    them waits (HTTP 503 with Retry-After; a consumer retries) until it is done, seconds."""


class RosterRepository(Protocol):
    """Per program: a version that every change able to invalidate a computed run bumps (a
    withdrawal or departure, an erasure, the close), and the run in progress (one at a time).
    A run's publication writes the same document, so it and such a change conflict instead of
    both landing."""

    async def version(self, program_id: str) -> int: ...

    async def bump(self, program_ids: Iterable[str]) -> None:
        """Raises `RosterBusy` while a run publishes in one of the programs."""
        ...

    async def publishing(self, program_id: str) -> str | None:
        """The run whose pairs are being published in the program, if any."""
        ...

    async def set_publishing(self, program_id: str, run_id: str | None) -> None: ...
    async def pending_run(self, program_id: str) -> str | None: ...
    async def set_pending_run(self, program_id: str, run_id: str | None) -> None: ...


class PairRepository(Protocol):
    async def get(self, key: str) -> Pair | None: ...
    async def put(self, item: Pair) -> None: ...
    async def put_many(self, items: Iterable[Pair]) -> None: ...

    async def add_many(self, items: Iterable[Pair]) -> None:
        """Store pairs not stored before (inserts: cheaper than `put_many`)."""
        ...

    async def active_for(self, employee_ids: Iterable[str]) -> list[Pair]:
        """The active pairs these people are in, as mentor or mentee, in any program."""
        ...

    async def any_active(self) -> bool:
        """Whether any pair is active at all (before a bulk HR load, none is)."""
        ...

    async def in_program(self, program_id: str, statuses: Iterable[PairStatus]) -> list[Pair]: ...

    async def supersede_proposals(self, program_id: str, at: datetime) -> int:
        """Mark the program's open proposals superseded (a new run replaces them)."""
        ...

    async def stage(self, run_id: str, pairs: Sequence[Pair], first: int) -> None:
        """Keep a run's pairs, with the events they recorded, out of sight (numbered from
        `first`) until `publish_staged` moves them in."""
        ...

    async def publish_staged(self, run_id: str, limit: int) -> tuple[int, list[Event]]:
        """Move the run's next `limit` staged pairs into the pairs; how many, and the events
        they recorded (for this unit of work to emit)."""
        ...

    async def discard_staged(self, run_id: str) -> int: ...

    async def withdraw_proposals(self, program_id: str, at: datetime) -> int:
        """Supersede them at once, not as part of this unit of work (not undone by a rollback;
        for a newer run being computed, where tens of thousands would outlast a transaction)."""
        ...

    async def page_in(self, program_id: str, query: PairQuery, paging: Paging) -> Page[Pair]: ...


class RunRepository(Protocol):
    async def get(self, key: str) -> MatchingRun | None: ...
    async def put(self, item: MatchingRun) -> None: ...
    async def of_program(self, program_id: str) -> list[MatchingRun]: ...

    async def claim(self, worker: str, now: datetime, until: datetime) -> MatchingRun | None:
        """Take the oldest queued run, or a running one whose worker's lease ran out by `now`,
        for `worker` until `until` (now `running`, one more attempt); None when there is none."""
        ...

    async def renew(self, run_id: str, worker: str, until: datetime) -> bool:
        """Extend the worker's lease on its run; False when it is no longer the worker's."""
        ...

    async def holder(self, run_id: str) -> str | None:
        """The worker holding the run (None once it is finished)."""
        ...


class UnmatchedRepository(Protocol):
    async def add_many(self, items: Iterable[UnmatchedEntry]) -> None: ...
    async def page_of(self, run_id: str, paging: Paging) -> Page[UnmatchedEntry]: ...
    async def discard_of(self, run_id: str) -> int: ...


class PairingUnitOfWork(UnitOfWork, Protocol):
    """One transaction over the pairing service's repositories."""

    @property
    def employees(self) -> EmployeeRepository: ...
    @property
    def programs(self) -> ProgramRepository: ...
    @property
    def enrollments(self) -> EnrollmentRepository: ...
    @property
    def pairs(self) -> PairRepository: ...
    @property
    def runs(self) -> RunRepository: ...
    @property
    def rosters(self) -> RosterRepository: ...
    @property
    def unmatched(self) -> UnmatchedRepository: ...

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        """Which of these ids were erased: HR records for them are not projected again."""
        ...

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        """Replace the person by `pseudonym` everywhere and drop what identifies them; returns
        how many documents changed."""
        ...
