"""Read use cases behind the listing and lookup routes, each within the caller's rights."""

from __future__ import annotations

from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.service.access import (
    own_view,
    require_aggregates,
    require_hr_or_self,
    require_manager,
    require_role,
)
from tandem_pairing.service.lookups import found, get_pair, get_program, get_run
from tandem_pairing.service.ports import (
    EmployeeQuery,
    EnrollmentQuery,
    PairingUnitOfWork,
    PairQuery,
)
from tandem_servicekit.auth import HR_ADMIN, Principal
from tandem_servicekit.errors import Forbidden
from tandem_servicekit.repository import Page, Paging


async def programs(uow: PairingUnitOfWork) -> list[Program]:
    return await uow.programs.listing()


async def enrollments(
    program_id: str,
    status: EnrollmentStatus | None,
    paging: Paging,
    caller: Principal,
    uow: PairingUnitOfWork,
) -> Page[Enrollment]:
    """All of them for the program's managers, their own for a participant."""
    program = await get_program(program_id, uow)
    only = own_view(caller, program)
    return await uow.enrollments.page_in(program_id, EnrollmentQuery(status, only), paging)


async def runs(program_id: str, caller: Principal, uow: PairingUnitOfWork) -> list[MatchingRun]:
    require_aggregates(caller, await get_program(program_id, uow))
    return await uow.runs.of_program(program_id)


async def run(run_id: str, caller: Principal, uow: PairingUnitOfWork) -> MatchingRun:
    found_run = await get_run(run_id, uow)
    require_aggregates(caller, await get_program(found_run.program_id, uow))
    return found_run


async def unmatched(
    run_id: str, paging: Paging, caller: Principal, uow: PairingUnitOfWork
) -> Page[UnmatchedEntry]:
    found_run = await get_run(run_id, uow)
    require_manager(caller, await get_program(found_run.program_id, uow))
    return await uow.unmatched.page_of(run_id, paging)


async def pairs(
    program_id: str,
    status: PairStatus | None,
    run_id: str | None,
    paging: Paging,
    caller: Principal,
    uow: PairingUnitOfWork,
) -> Page[Pair]:
    """All of them for the program's managers, the ones they are in for a participant."""
    only = own_view(caller, await get_program(program_id, uow))
    return await uow.pairs.page_in(program_id, PairQuery(status, run_id, only), paging)


async def pair(pair_id: str, caller: Principal, uow: PairingUnitOfWork) -> Pair:
    found_pair = await get_pair(pair_id, uow)
    program = await get_program(found_pair.program_id, uow)
    only = own_view(caller, program)
    if only is not None and not found_pair.involves(only):
        raise Forbidden("only the pair's members or a manager of its program may see it")
    return found_pair


async def employees(
    query: EmployeeQuery, paging: Paging, caller: Principal, uow: PairingUnitOfWork
) -> Page[Employee]:
    """The HR projection, for the people who run the HR integration."""
    require_role(caller, HR_ADMIN)
    return await uow.employees.page(query, paging)


async def employee(employee_id: str, caller: Principal, uow: PairingUnitOfWork) -> Employee:
    require_hr_or_self(caller, employee_id)
    return found(await uow.employees.get(employee_id), f"employee {employee_id}")
