"""Kafka subscriptions of the pairing service."""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeErasureRequested,
    EmployeeHired,
    EmployeeUpdated,
    PersonalDataErased,
)
from tandem_contracts.registry import events_on
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING, PRIVACY
from tandem_pairing.adapters.unit_of_work import MongoPairingUnitOfWork
from tandem_pairing.domain.employees import HrEvent
from tandem_pairing.service import privacy
from tandem_pairing.service.hr import on_employee_events
from tandem_servicekit.consumer import Delivery
from tandem_servicekit.privacy import confirm_erasure
from tandem_servicekit.runtime import ServiceRuntime

HR_TYPES = (EmployeeHired, EmployeeUpdated, EmployeeDeparted)


async def on_hr_batch(batch: Sequence[Delivery], uow: MongoPairingUnitOfWork) -> None:
    """Records in order; an erasure request applies after the records before it."""
    pending: list[HrEvent] = []
    for delivery in batch:
        event = delivery.event
        if isinstance(event, EmployeeErasureRequested):
            await on_employee_events(pending, uow)
            pending = []
            records = await privacy.erase(event.employee_id, uow)
            confirm_erasure(uow, event, "pairing", records)
        elif isinstance(event, HR_TYPES):
            pending.append(event)
    await on_employee_events(pending, uow)


def register(runtime: ServiceRuntime[MongoPairingUnitOfWork]) -> None:
    runtime.subscribe_batch(HR_EMPLOYEES, (*HR_TYPES, EmployeeErasureRequested), on_hr_batch)
    runtime.publishes(PAIRING, events_on(PAIRING))
    runtime.publishes(PRIVACY, [PersonalDataErased])
    runtime.publishes(HR_EMPLOYEES, [EmployeeErasureRequested])
