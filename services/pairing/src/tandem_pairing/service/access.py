"""Who may do what in pairing: the rules every use case applies to its verified caller.

- `participant`: acts as its own employee id: enrolls, withdraws, reads its own enrollments,
  pairs and suggestions, accepts or declines pairs it is in;
- `program_manager`: creates programs and manages those that list it as a manager: opens,
  closes, enrolls others, runs matching, ends pairs, reads the per-person data of them;
- `hr_admin`: reads the HR projection;
- `ops`: read-only aggregates (programs, matching runs); no per-person data.
Anyone verified may read the programs (to find one to join).
"""

from __future__ import annotations

from tandem_pairing.domain.programs import Program
from tandem_servicekit.auth import HR_ADMIN, OPS, PARTICIPANT, PROGRAM_MANAGER, Principal
from tandem_servicekit.errors import Forbidden


def manages(caller: Principal, program: Program) -> bool:
    return caller.has(PROGRAM_MANAGER) and caller.employee_id in program.manager_ids


def require_role(caller: Principal, *roles: str) -> None:
    if not any(caller.has(r) for r in roles):
        raise Forbidden(f"this needs the role {' or '.join(roles)}")


def require_manager(caller: Principal, program: Program) -> None:
    if not manages(caller, program):
        raise Forbidden("only a manager of this program may do this")


def require_self_or_manager(caller: Principal, program: Program, employee_id: str) -> None:
    """Per-person data and actions: the person (as a participant) or the program's manager."""
    if manages(caller, program):
        return
    if caller.has(PARTICIPANT) and caller.employee_id == employee_id:
        return
    raise Forbidden("only the person themselves or a manager of this program may do this")


def require_aggregates(caller: Principal, program: Program) -> None:
    if not (manages(caller, program) or caller.has(OPS)):
        raise Forbidden("matching runs are for this program's managers and ops")


def own_view(caller: Principal, program: Program) -> str | None:
    """Listings of per-person data: None (everything) for the program's managers, the caller's
    own employee id for a participant; anyone else is refused."""
    if manages(caller, program):
        return None
    if caller.has(PARTICIPANT):
        return caller.employee_id
    raise Forbidden("per-person data is for this program's managers and the people themselves")


def require_hr_or_self(caller: Principal, employee_id: str) -> None:
    if caller.has(HR_ADMIN) or (caller.has(PARTICIPANT) and caller.employee_id == employee_id):
        return
    raise Forbidden("the HR projection is for hr_admin (and each person's own record)")
