"""Hand-written in-memory stand-ins for the pairing ports (unit tests of use cases only).

They implement the same protocols as the Mongo adapters; mypy checks that wherever a test
hands a `FakePairingUnitOfWork` to a use case.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from tandem_contracts import Event
from tandem_contracts.values import Availability
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.participants import reporting_chain
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, RunStatus, UnmatchedEntry
from tandem_pairing.service.commands import RunMatching
from tandem_pairing.service.matching_runs import execute_run, request_run
from tandem_pairing.service.ports import EmployeeQuery, EnrollmentQuery, PairQuery, RosterBusy
from tandem_servicekit.auth import Principal
from tandem_servicekit.clock import Clock
from tandem_servicekit.repository import Page, Paging
from tandem_servicekit.testing import FakeRepository, FakeUnitOfWork
from tandem_servicekit.uow import ChangeTracker


class FakeEmployees(FakeRepository[Employee]):
    key = "employee_id"

    async def manager_map(self, employee_ids: Iterable[str]) -> dict[str, str | None]:
        return {e.employee_id: e.manager_id for e in self.items.values()}

    async def directory(self) -> dict[str, Employee]:
        return dict(self.items)

    async def page(self, query: EmployeeQuery, paging: Paging) -> Page[Employee]:
        found = self._where(
            lambda e: (
                query.active in (None, e.active)
                and query.department in (None, e.department)
                and query.manager_id in (None, e.manager_id)
            )
        )
        return self._page(found, paging)

    async def reporting_to(self, roots: Iterable[str]) -> set[str]:
        managers = await self.manager_map([])
        wanted = set(roots)
        return {
            e.employee_id
            for e in self.items.values()
            if e.active
            and e.employee_id not in wanted
            and wanted & set(reporting_chain(e.employee_id, managers))
        }


class FakePrograms(FakeRepository[Program]):
    key = "program_id"

    async def listing(self) -> list[Program]:
        return self._where(lambda p: True, sort="created_at")


class FakeEnrollments(FakeRepository[Enrollment]):
    key = "enrollment_id"

    async def active_of(self, program_id: str, employee_id: str) -> Enrollment | None:
        found = self._where(
            lambda e: e.active and (e.program_id, e.employee_id) == (program_id, employee_id)
        )
        return found[0] if found else None

    async def active_in(self, program_id: str) -> list[Enrollment]:
        return self._where(lambda e: e.active and e.program_id == program_id)

    async def active_for(self, employee_ids: Iterable[str]) -> list[Enrollment]:
        ids = set(employee_ids)
        return self._where(lambda e: e.active and e.employee_id in ids)

    async def page_in(
        self, program_id: str, query: EnrollmentQuery, paging: Paging
    ) -> Page[Enrollment]:
        found = self._where(
            lambda e: (
                e.program_id == program_id
                and query.status in (None, e.status)
                and query.employee_id in (None, e.employee_id)
            )
        )
        return self._page(found, paging)


class FakeRosters:
    def __init__(self) -> None:
        self.versions: dict[str, int] = {}
        self.pending: dict[str, str | None] = {}
        self.locks: dict[str, str | None] = {}

    async def version(self, program_id: str) -> int:
        return self.versions.get(program_id, 0)

    async def bump(self, program_ids: Iterable[str]) -> None:
        for program_id in set(program_ids):
            if self.locks.get(program_id):
                raise RosterBusy(f"a run is publishing in {program_id}")
            self.versions[program_id] = self.versions.get(program_id, 0) + 1

    async def publishing(self, program_id: str) -> str | None:
        return self.locks.get(program_id)

    async def set_publishing(self, program_id: str, run_id: str | None) -> None:
        self.locks[program_id] = run_id

    async def pending_run(self, program_id: str) -> str | None:
        return self.pending.get(program_id)

    async def set_pending_run(self, program_id: str, run_id: str | None) -> None:
        self.pending[program_id] = run_id


class FakePairs(FakeRepository[Pair]):
    key = "pair_id"

    async def active_for(self, employee_ids: Iterable[str]) -> list[Pair]:
        ids = set(employee_ids)
        return self._where(
            lambda p: p.status is PairStatus.ACTIVE and bool({p.mentor_id, p.mentee_id} & ids)
        )

    async def any_active(self) -> bool:
        return any(p.status is PairStatus.ACTIVE for p in self.items.values())

    async def in_program(self, program_id: str, statuses: Iterable[PairStatus]) -> list[Pair]:
        wanted = set(statuses)
        return self._where(lambda p: p.program_id == program_id and p.status in wanted)

    def __init__(self, tracker: ChangeTracker) -> None:
        super().__init__(tracker)
        self.staged: dict[str, list[tuple[Pair, tuple[Event, ...]]]] = {}

    async def stage(self, run_id: str, pairs: Sequence[Pair], first: int) -> None:
        self.staged.setdefault(run_id, []).extend((p, p.pending_events) for p in pairs)

    async def publish_staged(self, run_id: str, limit: int) -> tuple[int, list[Event]]:
        waiting = self.staged.get(run_id, [])
        moving, self.staged[run_id] = waiting[:limit], waiting[limit:]
        for pair, _ in moving:  # stored as loaded from a database: no pending events
            self.items[pair.pair_id] = pair.model_copy()
            self.items[pair.pair_id].collect_new_events()
        return len(moving), [e for _, events in moving for e in events]

    async def discard_staged(self, run_id: str) -> int:
        return len(self.staged.pop(run_id, []))

    async def withdraw_proposals(self, program_id: str, at: datetime) -> int:
        return await self.supersede_proposals(program_id, at)

    async def supersede_proposals(self, program_id: str, at: datetime) -> int:
        proposals = await self.in_program(program_id, [PairStatus.PROPOSED])
        for pair in proposals:
            update = {"status": PairStatus.SUPERSEDED, "superseded_at": at}
            self.items[pair.pair_id] = pair.model_copy(update=update)
        return len(proposals)

    async def page_in(self, program_id: str, query: PairQuery, paging: Paging) -> Page[Pair]:
        found = self._where(
            lambda p: (
                p.program_id == program_id
                and query.status in (None, p.status)
                and query.run_id in (None, p.run_id)
                and (query.employee_id is None or p.involves(query.employee_id))
            )
        )
        return self._page(found, paging)


class FakeRuns(FakeRepository[MatchingRun]):
    key = "run_id"

    def __init__(self, tracker: ChangeTracker) -> None:
        super().__init__(tracker)
        self.leases: dict[str, tuple[str, datetime]] = {}

    async def of_program(self, program_id: str) -> list[MatchingRun]:
        return self._where(lambda r: r.program_id == program_id, sort="created_at")

    async def claim(self, worker: str, now: datetime, until: datetime) -> MatchingRun | None:
        def open_to_claim(r: MatchingRun) -> bool:
            if r.status is RunStatus.QUEUED:
                return True
            lease = self.leases.get(r.run_id)
            return r.status is RunStatus.RUNNING and lease is not None and lease[1] < now

        found = self._where(open_to_claim, sort="created_at")
        if not found:
            return None
        run = found[0].model_copy(
            update={"status": RunStatus.RUNNING, "attempts": found[0].attempts + 1}
        )
        self.items[run.run_id] = run
        self.leases[run.run_id] = (worker, until)
        return run

    async def renew(self, run_id: str, worker: str, until: datetime) -> bool:
        run = self.items.get(run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return False
        if self.leases.get(run_id, ("", until))[0] != worker:
            return False
        self.leases[run_id] = (worker, until)
        return True

    async def holder(self, run_id: str) -> str | None:
        run = self.items.get(run_id)
        if run is None or run.status is not RunStatus.RUNNING:
            return None
        return self.leases.get(run_id, (None, None))[0]


class FakeUnmatched(FakeRepository[UnmatchedEntry]):
    key = "entry_id"

    async def page_of(self, run_id: str, paging: Paging) -> Page[UnmatchedEntry]:
        return self._page(self._where(lambda u: u.run_id == run_id), paging)

    async def discard_of(self, run_id: str) -> int:
        mine = [k for k, u in self.items.items() if u.run_id == run_id]
        for key in mine:
            del self.items[key]
        return len(mine)


class FakePairingUnitOfWork(FakeUnitOfWork):
    """The pairing unit of work over dictionaries; `published` collects what commits emitted."""

    def __init__(self, clock: Clock | None = None) -> None:
        super().__init__(clock)
        self.employees = FakeEmployees(self.tracker)
        self.programs = FakePrograms(self.tracker)
        self.enrollments = FakeEnrollments(self.tracker)
        self.pairs = FakePairs(self.tracker)
        self.runs = FakeRuns(self.tracker)
        self.unmatched = FakeUnmatched(self.tracker)
        self.rosters = FakeRosters()
        self.erased: set[str] = set()

    async def erased_among(self, employee_ids: Iterable[str]) -> set[str]:
        return set(employee_ids) & self.erased

    async def erase_person(self, employee_id: str, pseudonym: str) -> int:
        """The in-memory twin of the Mongo erasure: the same fields, replaced or dropped."""
        self.erased.add(employee_id)
        changed = 0

        def swap(ids: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(pseudonym if i == employee_id else i for i in ids)

        known = self.employees.items.pop(employee_id, None)
        if known is not None:
            self.employees.items[pseudonym] = Employee(
                employee_id=pseudonym, active=False, effective_at=known.effective_at
            )
            changed += 1
        for key, e in list(self.employees.items.items()):
            if e.manager_id == employee_id:
                self.employees.items[key] = e.model_copy(update={"manager_id": pseudonym})
                changed += 1
        for key, en in list(self.enrollments.items.items()):
            update: dict[str, object] = {
                "avoid_employee_ids": swap(en.avoid_employee_ids),
                "preferred_employee_ids": swap(en.preferred_employee_ids),
            }
            if en.employee_id == employee_id:
                update = {
                    "employee_id": pseudonym,
                    "availability": Availability(time_zone="UTC", slots=()),
                    "languages": (),
                    "avoid_employee_ids": (),
                    "preferred_employee_ids": (),
                }
            changed += self._replace(self.enrollments, key, en, update)
        for key, p in list(self.pairs.items.items()):
            update = {"mentor_id": swap((p.mentor_id,))[0], "mentee_id": swap((p.mentee_id,))[0]}
            changed += self._replace(self.pairs, key, p, update)
        for key, u in list(self.unmatched.items.items()):
            changed += self._replace(
                self.unmatched, key, u, {"employee_id": swap((u.employee_id,))[0]}
            )
        for key, pr in list(self.programs.items.items()):
            changed += self._replace(self.programs, key, pr, {"manager_ids": swap(pr.manager_ids)})
        return changed

    @staticmethod
    def _replace(repo: FakeRepository[Any], key: str, item: Any, update: dict[str, object]) -> int:
        changed = item.model_copy(update=update)
        if changed == item:
            return 0
        repo.items[key] = changed
        return 1


FAR = datetime(2100, 1, 1, tzinfo=UTC)


async def run_matching(
    program_id: str, cmd: RunMatching, caller: Principal, uow: FakePairingUnitOfWork
) -> MatchingRun:
    """Request a run and carry it to its end, as the worker would (one attempt at a time)."""
    queued = await request_run(program_id, cmd, caller, uow)
    while True:
        claimed = await uow.runs.claim("test-worker", uow.clock.now(), FAR)
        assert claimed is not None
        assert claimed.run_id == queued.run_id
        done = await execute_run(claimed, "test-worker", lambda: uow, lambda: FAR)
        if done.status is not RunStatus.QUEUED:
            return done
