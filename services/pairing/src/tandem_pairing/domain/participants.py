"""Turning an employee record and an enrollment into what the matching engine reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from tandem_contracts.values import spoken_language
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching.availability import coarse_bitset, utc_intervals
from tandem_pairing.domain.matching.model import Participant

MAX_CHAIN = 64


def reporting_chain(employee_id: str, managers: Mapping[str, str | None]) -> tuple[str, ...]:
    """The employee's managers, nearest first; stops at a cycle or an unknown manager."""
    chain: list[str] = []
    seen = {employee_id}
    current = managers.get(employee_id)
    while current is not None and current not in seen and len(chain) < MAX_CHAIN:
        chain.append(current)
        seen.add(current)
        current = managers.get(current)
    return tuple(chain)


def to_participant(
    employee: Employee,
    enrollment: Enrollment,
    chain: tuple[str, ...],
    regimes: tuple[date, ...],
) -> Participant:
    """What the engine reads of one enrolled person: availability in UTC minutes in each of
    the program's DST regimes (`availability.regimes`)."""
    free = tuple(utc_intervals(enrollment.availability, regime) for regime in regimes)
    return Participant(
        enrollment_id=enrollment.enrollment_id,
        employee_id=employee.employee_id,
        department=employee.department,
        team=employee.team,
        manager_id=employee.manager_id,
        reporting_chain=chain,
        job_level=employee.job_level,
        birth_year=employee.seniority_birth_year,
        # People talk in a language, not a region: en-GB and en-US share `en`.
        languages=frozenset(spoken_language(tag) for tag in enrollment.languages),
        availability_utc=coarse_bitset(free),
        free_minutes=free,
        topics=enrollment.topic_values,
        capacity=enrollment.capacity,
        avoid=frozenset(enrollment.avoid_employee_ids),
        prefer=frozenset(enrollment.preferred_employee_ids),
    )
