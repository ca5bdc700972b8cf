"""Finding what a request addresses, and turning a forbidden transition into a conflict."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.errors import StateError
from tandem_pairing.domain.pairs import Pair
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun
from tandem_pairing.service.access import require_self_or_manager
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import Conflict, NotFound

T = TypeVar("T")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def found(item: T | None, what: str) -> T:
    if item is None:
        raise NotFound(f"{what} not found")
    return item


@contextmanager
def as_conflict() -> Iterator[None]:
    """A transition the aggregate's state forbids is the request's conflict (409)."""
    try:
        yield
    except StateError as exc:
        raise Conflict(str(exc)) from exc


async def transition(
    current: T, change: Callable[[T], T], store: Callable[[T], Awaitable[None]]
) -> T:
    """Apply a domain transition and store the result; a forbidden one is a 409."""
    with as_conflict():
        changed = change(current)
    await store(changed)
    return changed


async def get_program(program_id: str, uow: PairingUnitOfWork) -> Program:
    return found(await uow.programs.get(program_id), f"program {program_id}")


async def open_program_for(program_id: str, action: str, uow: PairingUnitOfWork) -> Program:
    program = await get_program(program_id, uow)
    with as_conflict():
        program.require_open(action)
    return program


async def get_pair(pair_id: str, uow: PairingUnitOfWork) -> Pair:
    return found(await uow.pairs.get(pair_id), f"pair {pair_id}")


async def get_enrollment(program_id: str, enrollment_id: str, uow: PairingUnitOfWork) -> Enrollment:
    enrollment = await uow.enrollments.get(enrollment_id)
    if enrollment is not None and enrollment.program_id != program_id:
        enrollment = None
    return found(enrollment, f"enrollment {enrollment_id} in program {program_id}")


async def own_enrollment(
    program_id: str, enrollment_id: str, caller: Principal, uow: PairingUnitOfWork
) -> Enrollment:
    """The enrollment, if the caller is its participant or a manager of its program."""
    enrollment = await get_enrollment(program_id, enrollment_id, uow)
    require_self_or_manager(caller, await get_program(program_id, uow), enrollment.employee_id)
    return enrollment


async def get_run(run_id: str, uow: PairingUnitOfWork) -> MatchingRun:
    return found(await uow.runs.get(run_id), f"matching run {run_id}")
