"""The synthetic company is reproducible and shaped as the demo and benchmarks assume."""

from __future__ import annotations

from collections import Counter

from tandem_contracts.values import Role
from tandem_simulation import company


def test_same_seed_same_company_and_valid_hr_records() -> None:
    first, again = company(300, seed=3), company(300, seed=3)
    assert [p.hr_event() for p in first] == [p.hr_event() for p in again]
    assert [p.hr_event() for p in company(300, seed=4)] != [p.hr_event() for p in first]
    roles = Counter(p.role for p in first)
    assert (roles[Role.MENTEE], roles[Role.MENTOR]) == (150, 75)
    ids = {p.employee_id for p in first}
    assert all(p.manager_id is None or p.manager_id in ids for p in first)
    assert sum(p.manager_id is None for p in first) == 1, "one root: the most senior person"


def test_mentees_are_the_senior_half_and_mentors_the_junior_quarter() -> None:
    people = company(400, seed=11)
    mentees = [p.job_level for p in people if p.role is Role.MENTEE]
    mentors = [p.job_level for p in people if p.role is Role.MENTOR]
    assert min(mentees) >= max(mentors)
    assert all(p.enrollment_request()["role"] == p.role.value for p in people if p.role)
