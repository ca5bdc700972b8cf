"""GDPR erasure in pairing: the hr_admin request, and the erasure itself."""

from __future__ import annotations

import uuid

from tandem_contracts.events import EmployeeErasureRequested, PairEndReason
from tandem_pairing.service.access import require_role
from tandem_pairing.service.enrollment import withdraw_enrollments
from tandem_pairing.service.lookups import new_id
from tandem_pairing.service.pairs import end_pairs
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.auth import HR_ADMIN, Principal


async def request_erasure(
    employee_id: str, caller: Principal, uow: PairingUnitOfWork
) -> EmployeeErasureRequested:
    """Ask every service to erase the person (the request goes out on `hr.employees.v1`)."""
    require_role(caller, HR_ADMIN)
    request = EmployeeErasureRequested(
        employee_id=employee_id, request_id=new_id("era"), requested_at=uow.clock.now()
    )
    uow.emit(request)
    await uow.commit()
    return request


async def erase(employee_id: str, uow: PairingUnitOfWork) -> int:
    """A fresh random pseudonym, never stored with the id it replaces: irreversible. The person
    then leaves like a departure: their active pairs end and their enrollments are withdrawn
    (the events name the pseudonym), so no pair or matching run keeps pointing at them."""
    pseudonym = f"erased-{uuid.uuid4().hex[:16]}"
    changed = await uow.erase_person(employee_id, pseudonym)
    reason = PairEndReason.PARTICIPANT_DEPARTED
    ended = await end_pairs(uow, await uow.pairs.active_for([pseudonym]), reason)
    enrollments = await uow.enrollments.active_for([pseudonym])
    withdrawn = await withdraw_enrollments(uow, enrollments, reason)
    return changed + len(ended) + len(withdrawn)
