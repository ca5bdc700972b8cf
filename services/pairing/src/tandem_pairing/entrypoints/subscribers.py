"""Kafka subscriptions of the pairing service."""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts.events import EmployeeDeparted, EmployeeHired, EmployeeUpdated
from tandem_contracts.registry import events_on
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING
from tandem_pairing.adapters.unit_of_work import MongoPairingUnitOfWork
from tandem_pairing.service.hr import on_employee_events
from tandem_servicekit.consumer import Delivery
from tandem_servicekit.runtime import ServiceRuntime

HR_TYPES = (EmployeeHired, EmployeeUpdated, EmployeeDeparted)


async def on_hr_batch(batch: Sequence[Delivery], uow: MongoPairingUnitOfWork) -> None:
    await on_employee_events([d.event for d in batch if isinstance(d.event, HR_TYPES)], uow)


def register(runtime: ServiceRuntime[MongoPairingUnitOfWork]) -> None:
    runtime.subscribe_batch(HR_EMPLOYEES, HR_TYPES, on_hr_batch)
    runtime.publishes(PAIRING, events_on(PAIRING))
