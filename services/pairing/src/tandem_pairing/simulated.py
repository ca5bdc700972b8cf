"""A synthetic company (libs/simulation) as the matching engine reads it.

For the benchmark and the end-to-end test, which check the live service against the engine:
the same mapping from a person to a `Participant` that the service applies to an HR record
plus an enrollment.
"""

from __future__ import annotations

from tandem_contracts.values import Availability, Role
from tandem_pairing.domain.matching.model import Participant
from tandem_pairing.domain.participants import reporting_chain, to_participant
from tandem_simulation import REFERENCE, SyntheticPerson


def participants(
    people: list[SyntheticPerson],
) -> tuple[tuple[Participant, ...], tuple[Participant, ...]]:
    """(mentors, mentees) as the engine reads them, the way the pairing service builds them."""
    managers = {p.employee_id: p.manager_id for p in people}
    mentors: list[Participant] = []
    mentees: list[Participant] = []
    for p in people:
        if p.role is None:
            continue
        participant = to_participant(
            enrollment_id=f"en-{p.employee_id}",
            employee_id=p.employee_id,
            department=p.department,
            team=p.team,
            manager_id=p.manager_id,
            chain=reporting_chain(p.employee_id, managers),
            job_level=p.job_level,
            birth_year=p.birth_year,
            languages=frozenset(p.languages),
            availability=Availability(time_zone=p.time_zone, slots=p.slots),
            topics=p.topics,
            capacity=p.capacity,
            reference=REFERENCE,
        )
        (mentors if p.role is Role.MENTOR else mentees).append(participant)
    return tuple(mentors), tuple(mentees)
