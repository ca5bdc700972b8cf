"""Enrollments joined with the HR projection: the people a matching run or a suggestion sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tandem_contracts.values import Role
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching import Participant
from tandem_pairing.domain.matching.availability import regimes
from tandem_pairing.domain.participants import reporting_chain, to_participant
from tandem_pairing.domain.programs import Program


def participants_of(
    program: Program,
    enrollments: Sequence[Enrollment],
    employees: Mapping[str, Employee],
    managers: Mapping[str, str | None] | None = None,
) -> list[Participant]:
    """People who left are skipped. Ordered by employee id: the engine breaks ties by input
    order, so the same people give the same pairs whatever ids their enrollments were given.
    `managers` (employee -> manager) defaults to the one `employees` holds."""
    if managers is None:
        managers = {i: e.manager_id for i, e in employees.items()}
    spans = regimes(
        (e.availability.time_zone for e in enrollments), program.starts_on, program.ends_on
    )
    out = []
    for e in sorted(enrollments, key=lambda e: e.employee_id):
        person = employees.get(e.employee_id)
        if person is None or not person.active:
            continue
        chain = reporting_chain(e.employee_id, managers)
        out.append(to_participant(person, e, chain, spans))
    return out


def roles_of(
    participants: Sequence[Participant], by_id: Mapping[str, Enrollment]
) -> tuple[tuple[Participant, ...], tuple[Participant, ...]]:
    """(mentors, mentees), each in the given order."""
    mentors = tuple(p for p in participants if by_id[p.enrollment_id].role is Role.MENTOR)
    mentees = tuple(p for p in participants if by_id[p.enrollment_id].role is Role.MENTEE)
    return mentors, mentees
