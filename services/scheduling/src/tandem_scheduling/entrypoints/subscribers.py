"""Kafka subscriptions of the scheduling service: the pairing stream and the HR feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from tandem_contracts import Event
from tandem_contracts.events import (
    EmployeeDeparted,
    EmployeeErasureRequested,
    EmployeeHired,
    EmployeeUpdated,
    PairCreated,
    PairEnded,
    PersonalDataErased,
    ProgramClosed,
    ProgramOpened,
)
from tandem_contracts.registry import events_on
from tandem_contracts.topics import HR_EMPLOYEES, PAIRING, PRIVACY, SCHEDULING
from tandem_scheduling.adapters.unit_of_work import MongoSchedulingUnitOfWork
from tandem_scheduling.service import lifecycle, planning, privacy, relocation
from tandem_scheduling.settings import SchedulingRules
from tandem_servicekit.consumer import BatchHandler, Delivery
from tandem_servicekit.privacy import confirm_erasure
from tandem_servicekit.runtime import ServiceRuntime

PAIRING_TYPES = (ProgramOpened, ProgramClosed, PairCreated, PairEnded)
HR_TYPES = (EmployeeHired, EmployeeUpdated, EmployeeDeparted, EmployeeErasureRequested)
HR_RECORDS = (EmployeeHired, EmployeeUpdated, EmployeeDeparted)
Uow = MongoSchedulingUnitOfWork


def _in_runs(
    flush: Callable[[list[Event], Uow], Awaitable[None]],
    run_of: tuple[type[Event], ...],
    single: Callable[[Event, Uow], Awaitable[None]],
) -> BatchHandler[Uow]:
    """Records in order: consecutive ones of the `run_of` types are handled together (one
    calendar, one round of queries), any other applies after the run before it."""

    async def handle(batch: Sequence[Delivery], uow: Uow) -> None:
        run: list[Event] = []
        for delivery in batch:
            if isinstance(delivery.event, run_of):
                run.append(delivery.event)
                continue
            if run:
                await flush(run, uow)
                run = []
            await single(delivery.event, uow)
        if run:
            await flush(run, uow)

    return handle


def register(runtime: ServiceRuntime[Uow], rules: SchedulingRules) -> None:
    service = runtime.settings.service_name

    async def pairs_created(events: list[Event], uow: Uow) -> None:
        await planning.on_pairs_created(
            [e for e in events if isinstance(e, PairCreated)], uow, rules
        )

    async def pairing_event(event: Event, uow: Uow) -> None:
        if isinstance(event, ProgramOpened):
            await lifecycle.on_program_opened(event, uow)
        elif isinstance(event, ProgramClosed):
            await lifecycle.on_program_closed(event, uow, rules.close_batch)
        elif isinstance(event, PairEnded):
            await lifecycle.on_pair_ended(event, uow)

    async def hr_records(events: list[Event], uow: Uow) -> None:
        await relocation.on_employee_records(
            [e for e in events if isinstance(e, EmployeeHired | EmployeeUpdated)], uow, rules
        )
        await lifecycle.on_departures([e for e in events if isinstance(e, EmployeeDeparted)], uow)

    async def hr_event(event: Event, uow: Uow) -> None:
        if isinstance(event, EmployeeErasureRequested):
            confirm_erasure(uow, event, service, await privacy.erase(event.employee_id, uow))

    runtime.subscribe_batch(
        PAIRING, PAIRING_TYPES, _in_runs(pairs_created, (PairCreated,), pairing_event)
    )
    runtime.subscribe_batch(HR_EMPLOYEES, HR_TYPES, _in_runs(hr_records, HR_RECORDS, hr_event))
    runtime.publishes(SCHEDULING, events_on(SCHEDULING))
    runtime.publishes(PRIVACY, [PersonalDataErased])
