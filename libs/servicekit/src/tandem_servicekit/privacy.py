"""GDPR erasure, the part every service shares: consume the request, confirm it.

`EmployeeErasureRequested` arrives on `hr.employees.v1` (from the HR system, or from the
pairing service's `hr_admin` call). Each service erases or irreversibly pseudonymises what it
holds of that person and, in the same transaction, publishes `PersonalDataErased` with the
request id on `tandem.privacy.v1`, so an auditor sees every service's completion.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tandem_contracts.events import EmployeeErasureRequested, PersonalDataErased
from tandem_contracts.topics import HR_EMPLOYEES, PRIVACY
from tandem_servicekit.uow import UnitOfWork

Erase = Callable[[str, Any], Awaitable[int]]
"""(employee id, unit of work) → how many documents were erased or pseudonymised."""


def confirm_erasure(
    uow: UnitOfWork, request: EmployeeErasureRequested, service: str, records: int
) -> None:
    uow.emit(
        PersonalDataErased(
            request_id=request.request_id,
            service=service,
            records=records,
            erased_at=uow.clock.now(),
        )
    )


def subscribe_erasure(runtime: Any, erase: Erase | None = None) -> None:
    """Consume erasure requests; a service that holds no personal data passes no `erase`."""
    service = runtime.settings.service_name

    async def on_request(event: EmployeeErasureRequested, meta: object, uow: UnitOfWork) -> None:
        records = await erase(event.employee_id, uow) if erase is not None else 0
        confirm_erasure(uow, event, service, records)

    runtime.subscribe(HR_EMPLOYEES, {EmployeeErasureRequested: on_request})
    runtime.publishes(PRIVACY, [PersonalDataErased])
