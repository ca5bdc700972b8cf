"""Who may do what in feedback.

- `participant`: gives and reads their own feedback, assessments, survey answers; edits their
  own goals and reads their pair's goal sheet; reads their pair's report (own answers in full,
  the rest under the anonymity rule);
- `program_manager`: reads the reports of the programs that list them as a manager, never a
  single person's answers;
- `ops`: reads program reports (aggregates only);
- `hr_admin`: nothing here.
"""

from __future__ import annotations

from tandem_contracts.values import Role
from tandem_feedback.domain.pairs import PairRecord
from tandem_feedback.domain.programs import Program
from tandem_servicekit.auth import OPS, PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.errors import Forbidden


def manages(caller: Principal, program: Program | None) -> bool:
    return (
        program is not None
        and caller.has(PROGRAM_MANAGER)
        and caller.employee_id in program.manager_ids
    )


def role_in(caller: Principal, pair: PairRecord) -> Role | None:
    """The caller's side in the pair, when they act as a participant."""
    return pair.role_of(caller.employee_id) if caller.has(PARTICIPANT) else None


def require_member(caller: Principal, pair: PairRecord) -> Role:
    role = role_in(caller, pair)
    if role is None:
        raise Forbidden("only the pair's members may do this")
    return role


def require_member_or_manager(
    caller: Principal, pair: PairRecord, program: Program | None
) -> Role | None:
    """The caller's side (None for a manager of the program)."""
    role = role_in(caller, pair)
    if role is None and not manages(caller, program):
        raise Forbidden("only the pair's members and the program's managers may do this")
    return role


def require_manager_or_ops(caller: Principal, program: Program | None) -> None:
    if not (manages(caller, program) or caller.has(OPS)):
        raise Forbidden("program reports are for the program's managers and ops")


def require_self(caller: Principal, employee_id: str) -> None:
    if not (caller.has(PARTICIPANT) and caller.employee_id == employee_id):
        raise Forbidden("a person reads only their own answers")
