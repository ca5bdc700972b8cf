"""Who may do what in scheduling.

- `participant`: sees and changes the sessions of pairs they are in (reschedule, cancel,
  report attendance) and their own calendar;
- `program_manager`: sees the sessions of programs that list them as a manager, may move and
  cancel them; never reports attendance (only the two people who met know);
- `ops`, `hr_admin`: no per-person session data here (ops read /metrics).
"""

from __future__ import annotations

from tandem_contracts.values import Role
from tandem_scheduling.domain.programs import Program
from tandem_scheduling.domain.sessions import Session
from tandem_servicekit.auth import PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.errors import Forbidden


def manages(caller: Principal, program: Program | None) -> bool:
    return (
        program is not None
        and caller.has(PROGRAM_MANAGER)
        and caller.employee_id in program.manager_ids
    )


def side_of(caller: Principal, session: Session) -> Role | None:
    """The caller's side in the session's pair, when they act as a participant."""
    return session.side_of(caller.employee_id) if caller.has(PARTICIPANT) else None


def require_member_or_manager(
    caller: Principal, members: tuple[str, ...], program: Program | None
) -> None:
    if manages(caller, program):
        return
    if caller.has(PARTICIPANT) and caller.employee_id in members:
        return
    raise Forbidden("only the pair's members and the program's managers may do this")


def require_self(caller: Principal, employee_id: str) -> None:
    if not (caller.has(PARTICIPANT) and caller.employee_id == employee_id):
        raise Forbidden("a calendar is for the person themselves")
