"""Self-match: the best partners for one enrolled person (runs: `matching_runs`)."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from tandem_contracts.values import Role
from tandem_pairing.domain.matching import (
    MatchingProblem,
    ScoreBreakdown,
    suggest_mentees,
    suggest_mentors,
)
from tandem_pairing.domain.pairs import PairStatus
from tandem_pairing.service.access import require_self_or_manager
from tandem_pairing.service.lookups import get_program
from tandem_pairing.service.participants import participants_of
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import NotFound


@dataclass(frozen=True)
class Suggestion:
    """One possible partner for self-match, with both people's ids and the score's reasons."""

    mentor_enrollment_id: str
    mentee_enrollment_id: str
    mentor_employee_id: str
    mentee_employee_id: str
    breakdown: ScoreBreakdown


async def suggest(
    program_id: str, employee_id: str, k: int, caller: Principal, uow: PairingUnitOfWork
) -> list[Suggestion]:
    """Self-match: for an enrolled mentee, the k best mentors with free places; for an
    enrolled mentor with free places, the k best mentees not yet in an active pair."""
    program = await get_program(program_id, uow)
    require_self_or_manager(caller, program, employee_id)
    enrollment = await uow.enrollments.active_of(program_id, employee_id)
    if enrollment is None:
        raise NotFound(f"{employee_id} is not enrolled in program {program_id}")
    everyone = await uow.enrollments.active_in(program_id)
    active = await uow.pairs.in_program(program_id, [PairStatus.ACTIVE])
    taken = Counter(pair.mentor_enrollment_id for pair in active)
    if enrollment.role is Role.MENTEE:
        others = [
            e for e in everyone if e.role is Role.MENTOR and taken[e.enrollment_id] < e.capacity
        ]
    elif taken[enrollment.enrollment_id] >= enrollment.capacity:
        return []
    else:
        paired = {pair.mentee_enrollment_id for pair in active}
        others = [e for e in everyone if e.role is Role.MENTEE and e.enrollment_id not in paired]
    wanted = [*others, enrollment]
    employees = await uow.employees.get_many(e.employee_id for e in wanted)
    managers = await uow.employees.manager_map(employees)
    people = participants_of(program, wanted, employees, managers)
    me = next((p for p in people if p.enrollment_id == enrollment.enrollment_id), None)
    if me is None:  # left the company since enrolling
        return []
    rest = tuple(p for p in people if p is not me)
    if enrollment.role is Role.MENTEE:
        problem = MatchingProblem(rest, (me,), program.weights, program.rules)
        found = await asyncio.to_thread(suggest_mentors, problem, me, k)
    else:
        problem = MatchingProblem((me,), rest, program.weights, program.rules)
        found = await asyncio.to_thread(suggest_mentees, problem, me, k)
    employee_of = {p.enrollment_id: p.employee_id for p in people}
    return [
        Suggestion(
            s.mentor_enrollment_id,
            s.mentee_enrollment_id,
            employee_of[s.mentor_enrollment_id],
            employee_of[s.mentee_enrollment_id],
            s.breakdown,
        )
        for s in found
    ]
