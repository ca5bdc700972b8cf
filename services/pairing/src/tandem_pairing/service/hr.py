"""Reacting to HR: keep the projection current and end pairs that can no longer stand.

A departure ends the person's active pairs (`participant_departed`) and withdraws their
enrollments. A manager change can put a mentor into their mentee's reporting line anywhere
below the changed person, so every active pair in that subtree is re-checked.
"""

from __future__ import annotations

from tandem_contracts import EventMeta
from tandem_contracts.events import EmployeeDeparted, EmployeeHired, EmployeeUpdated, PairEndReason
from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.domain.employees import apply, in_reporting_line
from tandem_pairing.domain.enrollment import EnrollmentStatus
from tandem_pairing.domain.participants import reporting_chain
from tandem_pairing.service.handlers import end_pairs, withdraw_enrollments
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.pairing.hr")


async def on_employee_event(
    event: EmployeeHired | EmployeeUpdated | EmployeeDeparted,
    meta: EventMeta,
    uow: PairingUnitOfWork,
) -> None:
    current = await uow.employees.get(event.employee_id)
    updated = apply(current, event)
    if updated is None:
        log.info("stale HR record ignored")
        await uow.commit()
        return
    await uow.employees.put(updated)
    if isinstance(event, EmployeeDeparted):
        pairs = await uow.pairs.active_with([event.employee_id])
        await end_pairs(uow, pairs, PairEndReason.PARTICIPANT_DEPARTED)
        enrollments = await uow.enrollments.find(
            {"employee_id": event.employee_id, "status": EnrollmentStatus.ACTIVE.value}
        )
        await withdraw_enrollments(uow, enrollments, PairEndReason.PARTICIPANT_DEPARTED)
        log.info("employee departed", ended_pairs=len(pairs))
    elif current is None or current.manager_id != updated.manager_id:
        ended = await _end_reporting_line_conflicts(uow, event.employee_id)
        if ended:
            log.info("reporting-line conflicts ended pairs", ended_pairs=ended)
    await uow.commit()


async def _end_reporting_line_conflicts(uow: PairingUnitOfWork, changed: str) -> int:
    affected = {changed} | await uow.employees.subtree(changed)
    pairs = await uow.pairs.active_with(affected)
    if not pairs:
        return 0
    managers = await uow.employees.manager_map(
        {p.mentor_id for p in pairs} | {p.mentee_id for p in pairs}
    )
    conflicting = [
        p
        for p in pairs
        if in_reporting_line(
            p.mentor_id,
            reporting_chain(p.mentor_id, managers),
            p.mentee_id,
            reporting_chain(p.mentee_id, managers),
        )
    ]
    await end_pairs(uow, conflicting, PairEndReason.REPORTING_LINE_CONFLICT)
    return len(conflicting)
