"""Kafka subscriptions of the metrics service: every Tandem topic and the HR feed, in batches
(one transaction and one bulk write per kind of fact per batch)."""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts import Event
from tandem_contracts.events import EmployeeErasureRequested, PersonalDataErased
from tandem_contracts.registry import events_on
from tandem_contracts.topics import FEEDBACK, HR_EMPLOYEES, PAIRING, PRIVACY, SCHEDULING
from tandem_metrics.adapters.unit_of_work import MongoMetricsUnitOfWork
from tandem_metrics.service import privacy, projection
from tandem_servicekit.consumer import Delivery
from tandem_servicekit.privacy import confirm_erasure
from tandem_servicekit.runtime import ServiceRuntime

Uow = MongoMetricsUnitOfWork


def register(runtime: ServiceRuntime[Uow]) -> None:
    service = runtime.settings.service_name

    async def project(batch: Sequence[Delivery], uow: Uow) -> None:
        run: list[Event] = []
        for delivery in batch:  # in order; an erasure applies after what came before it
            event = delivery.event
            if isinstance(event, EmployeeErasureRequested):
                await projection.apply(run, uow)
                run = []
                confirm_erasure(uow, event, service, await privacy.erase(event.employee_id, uow))
            else:
                run.append(event)
        await projection.apply(run, uow)

    for topic in (HR_EMPLOYEES, PAIRING, SCHEDULING, FEEDBACK):
        runtime.subscribe_batch(topic, events_on(topic), project)
    runtime.publishes(PRIVACY, [PersonalDataErased])
