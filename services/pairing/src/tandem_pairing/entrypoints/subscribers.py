"""Kafka subscriptions of the pairing service."""

from __future__ import annotations

from tandem_contracts.events import EmployeeDeparted, EmployeeHired, EmployeeUpdated
from tandem_contracts.topics import HR_EMPLOYEES
from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.service.hr import on_employee_event
from tandem_servicekit.runtime import ServiceRuntime


def register(runtime: ServiceRuntime[PairingUnitOfWork]) -> None:
    runtime.subscribe(
        HR_EMPLOYEES,
        {
            EmployeeHired: on_employee_event,
            EmployeeUpdated: on_employee_event,
            EmployeeDeparted: on_employee_event,
        },
    )
