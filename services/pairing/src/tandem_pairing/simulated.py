"""A synthetic company (libs/simulation) as the matching engine reads it.

For the benchmark and the end-to-end test, which check the live service against the engine:
the same mapping from a person to a `Participant` that the service applies to an HR record
plus an enrollment.
"""

from __future__ import annotations

from datetime import date

from tandem_contracts.values import Role
from tandem_pairing.domain.employees import Employee, apply
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching.availability import regimes
from tandem_pairing.domain.matching.model import Participant
from tandem_pairing.domain.participants import reporting_chain, to_participant
from tandem_simulation import REFERENCE, SyntheticPerson

DEMO_ENDS_ON = date(2027, 7, 9)
"""The demo program runs from `REFERENCE` to here (tandem_devkit.demo): it crosses the spring
DST switches, so its participants have several regimes."""


def participants(
    people: list[SyntheticPerson], starts_on: date = REFERENCE, ends_on: date = DEMO_ENDS_ON
) -> tuple[tuple[Participant, ...], tuple[Participant, ...]]:
    """(mentors, mentees) as the engine reads them, the way the pairing service builds them:
    the projection's record from the HR event, the enrollment from the enrollment request, the
    DST regimes of everyone enrolled over the program's span."""
    managers = {p.employee_id: p.manager_id for p in people}
    enrolled: list[tuple[SyntheticPerson, Employee, Enrollment]] = []
    for p in people:
        employee = apply(None, p.hr_event())
        if p.role is None or employee is None:
            continue
        enrollment = Enrollment.model_validate(
            {
                **p.enrollment_request(),
                "enrollment_id": f"en-{p.employee_id}",
                "program_id": "simulated",
                "enrolled_at": employee.effective_at,
            }
        )
        enrolled.append((p, employee, enrollment))
    spans = regimes((e.availability.time_zone for _, _, e in enrolled), starts_on, ends_on)
    mentors: list[Participant] = []
    mentees: list[Participant] = []
    for p, employee, enrollment in enrolled:
        chain = reporting_chain(p.employee_id, managers)
        participant = to_participant(employee, enrollment, chain, spans)
        (mentors if p.role is Role.MENTOR else mentees).append(participant)
    return tuple(mentors), tuple(mentees)
