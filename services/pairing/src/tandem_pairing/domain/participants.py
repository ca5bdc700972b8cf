"""Turning an employee record and an enrollment into what the matching engine reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from tandem_contracts.values import Availability
from tandem_pairing.domain.matching.availability import to_utc_bitset
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
    *,
    enrollment_id: str,
    employee_id: str,
    department: str,
    team: str | None,
    manager_id: str | None,
    chain: tuple[str, ...],
    job_level: int,
    birth_year: int | None,
    languages: frozenset[str],
    availability: Availability,
    topics: Mapping[str, int],
    capacity: int,
    reference: date,
    avoid: frozenset[str] = frozenset(),
    prefer: frozenset[str] = frozenset(),
) -> Participant:
    return Participant(
        enrollment_id=enrollment_id,
        employee_id=employee_id,
        department=department,
        team=team,
        manager_id=manager_id,
        reporting_chain=chain,
        job_level=job_level,
        birth_year=birth_year,
        languages=languages,
        availability_utc=to_utc_bitset(availability, reference),
        topics=dict(topics),
        capacity=capacity,
        avoid=avoid,
        prefer=prefer,
    )
