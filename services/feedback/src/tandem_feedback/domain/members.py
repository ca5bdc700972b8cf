"""Which side of a pair a person is on; the same question for pairs, windows and sessions."""

from __future__ import annotations

from tandem_contracts.values import Role


def side_of(employee_id: str, mentor_id: str | None, mentee_id: str | None) -> Role | None:
    if employee_id == mentor_id:
        return Role.MENTOR
    if employee_id == mentee_id:
        return Role.MENTEE
    return None
