"""Read use cases behind the listing and lookup routes."""

from __future__ import annotations

from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.service.lookups import found, get_program, get_run
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.repository import Page, Paging


async def programs(uow: PairingUnitOfWork) -> list[Program]:
    return await uow.programs.listing()


async def enrollments(
    program_id: str, status: EnrollmentStatus | None, paging: Paging, uow: PairingUnitOfWork
) -> Page[Enrollment]:
    await get_program(program_id, uow)
    return await uow.enrollments.page_in(program_id, status, paging)


async def runs(program_id: str, uow: PairingUnitOfWork) -> list[MatchingRun]:
    await get_program(program_id, uow)
    return await uow.runs.of_program(program_id)


async def unmatched(run_id: str, paging: Paging, uow: PairingUnitOfWork) -> Page[UnmatchedEntry]:
    await get_run(run_id, uow)
    return await uow.unmatched.page_of(run_id, paging)


async def pairs(
    program_id: str,
    status: PairStatus | None,
    run_id: str | None,
    paging: Paging,
    uow: PairingUnitOfWork,
) -> Page[Pair]:
    await get_program(program_id, uow)
    return await uow.pairs.page_in(program_id, status, run_id, paging)


async def employee(employee_id: str, uow: PairingUnitOfWork) -> Employee:
    return found(await uow.employees.get(employee_id), f"employee {employee_id}")
