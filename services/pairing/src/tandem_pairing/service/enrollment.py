"""Use cases of enrollment: an employee joins an open program, or withdraws."""

from __future__ import annotations

from collections.abc import Iterable

from tandem_contracts.events import PairEndReason
from tandem_contracts.values import ProgramFormat, Role
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.service.access import require_self_or_manager
from tandem_pairing.service.commands import Enroll
from tandem_pairing.service.lookups import (
    as_conflict,
    get_program,
    new_id,
    open_program_for,
    own_enrollment,
)
from tandem_pairing.service.pairs import end_pairs
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import Conflict, InvalidRequest


async def enroll(
    program_id: str, cmd: Enroll, caller: Principal, uow: PairingUnitOfWork
) -> Enrollment:
    """A participant enrolls themselves; a program manager may enroll anyone."""
    require_self_or_manager(caller, await get_program(program_id, uow), cmd.employee_id)
    program = await open_program_for(program_id, "enrollment", uow)
    employee = await uow.employees.get(cmd.employee_id)
    if employee is None:
        raise InvalidRequest("employee_id", f"employee {cmd.employee_id} is not known from HR")
    if not employee.active:
        raise InvalidRequest("employee_id", f"employee {cmd.employee_id} has left the company")
    if await uow.enrollments.active_of(program_id, cmd.employee_id) is not None:
        raise Conflict(f"employee {cmd.employee_id} is already enrolled in this program")
    mentor = cmd.role is Role.MENTOR
    topics = [e.topic for e in cmd.expertise] if mentor else [g.topic for g in cmd.goals]
    field = "expertise" if mentor else "goals"
    if not topics:
        raise InvalidRequest(field, f"a {cmd.role.value} enrolls with at least one topic")
    unknown = sorted(set(topics) - set(program.topics))
    if unknown:
        raise InvalidRequest(field, f"topics not in this program: {', '.join(unknown)}")
    if len(set(topics)) != len(topics):
        raise InvalidRequest(field, "each topic at most once")
    if not mentor and cmd.capacity != 1:
        raise InvalidRequest("capacity", "only mentors have a capacity")
    if cmd.capacity > program.places_per_mentor:
        raise InvalidRequest(
            "capacity",
            f"this program gives a mentor at most {program.places_per_mentor} mentee(s)",
        )
    wishes = cmd.preferences
    if cmd.employee_id in {*wishes.avoid_employee_ids, *wishes.preferred_employee_ids}:
        raise InvalidRequest("preferences", "a preference cannot name yourself")
    enrollment = Enrollment.create(
        enrollment_id=new_id("enr"),
        program_id=program_id,
        employee_id=cmd.employee_id,
        role=cmd.role,
        expertise=tuple(cmd.expertise) if mentor else (),
        goals=() if mentor else tuple(cmd.goals),
        languages=tuple(cmd.languages) or employee.languages,
        availability=cmd.availability,
        # A group mentor leads one group of the program's group size.
        capacity=(
            program.places_per_mentor if program.format is ProgramFormat.GROUP else cmd.capacity
        )
        if mentor
        else 1,
        avoid_employee_ids=tuple(wishes.avoid_employee_ids),
        preferred_employee_ids=tuple(wishes.preferred_employee_ids),
        enrolled_at=uow.clock.now(),
    )
    await uow.enrollments.put(enrollment)
    await uow.commit()
    return enrollment


async def withdraw(
    program_id: str, enrollment_id: str, caller: Principal, uow: PairingUnitOfWork
) -> Enrollment:
    enrollment = await own_enrollment(program_id, enrollment_id, caller, uow)
    with as_conflict():
        [withdrawn] = await withdraw_enrollments(uow, [enrollment], PairEndReason.WITHDRAWN)
    await uow.commit()
    return withdrawn


async def withdraw_enrollments(
    uow: PairingUnitOfWork, enrollments: Iterable[Enrollment], reason: PairEndReason
) -> list[Enrollment]:
    """Withdraw each enrollment and end its active pairs in that program (`reason`)."""
    now = uow.clock.now()
    withdrawn = [e.withdraw(now) for e in enrollments]
    await uow.rosters.bump(e.program_id for e in withdrawn)  # first: it may say "wait"
    people = {e.employee_id for e in withdrawn}
    programs_of = {(e.employee_id, e.program_id) for e in withdrawn}
    pairs = [
        p
        for p in await uow.pairs.active_for(people)
        if (p.mentor_id, p.program_id) in programs_of or (p.mentee_id, p.program_id) in programs_of
    ]
    await end_pairs(uow, pairs, reason)
    await uow.enrollments.put_many(withdrawn)
    return withdrawn
