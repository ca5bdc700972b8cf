"""GDPR erasure in pairing: the hr_admin request, and the erasure itself."""

from __future__ import annotations

import uuid

from tandem_contracts.events import EmployeeErasureRequested
from tandem_pairing.service.access import require_role
from tandem_pairing.service.lookups import new_id
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
    """A fresh random pseudonym, never stored with the id it replaces: irreversible."""
    return await uow.erase_person(employee_id, f"erased-{uuid.uuid4().hex[:16]}")
