"""Reacting to HR: keep the projection current and end pairs that can no longer stand.

A batch of HR records is folded in order into the projection (a record not newer than what is
known changes nothing) and written in one bulk write. Departures end the person's active pairs
(`participant_departed`) and withdraw their enrollments. A manager change can put a mentor into
their mentee's reporting line anywhere below the changed person, so every active pair in the
changed people's subtrees is re-checked (one walk for the whole batch).
"""

from __future__ import annotations

from collections.abc import Sequence

from tandem_contracts.events import EmployeeDeparted, PairEndReason
from tandem_pairing.domain.employees import Employee, HrEvent, apply, in_reporting_line
from tandem_pairing.domain.participants import reporting_chain
from tandem_pairing.service.enrollment import withdraw_enrollments
from tandem_pairing.service.pairs import end_pairs
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.pairing.hr")


async def on_employee_events(events: Sequence[HrEvent], uow: PairingUnitOfWork) -> None:
    named = {e.employee_id for e in events}
    named |= {m for e in events if (m := getattr(e, "manager_id", None))}
    erased = await uow.erased_among(named) if named else set()
    events = [e for e in events if e.employee_id not in erased]
    known = await uow.employees.get_many(e.employee_id for e in events)
    changed: dict[str, Employee] = {}
    departed: set[str] = set()
    moved: set[str] = set()
    entering: set[str] = set()
    stale = 0
    for event in events:
        current = changed.get(event.employee_id) or known.get(event.employee_id)
        updated = apply(current, event)
        if updated is None:
            stale += 1
            continue
        if updated.manager_id in erased:
            updated = updated.model_copy(update={"manager_id": None})
        changed[event.employee_id] = updated
        if isinstance(event, EmployeeDeparted):
            departed.add(event.employee_id)
        elif current is None or not current.active or current.manager_id != updated.manager_id:
            moved.add(event.employee_id)
            if current is None or not current.active:
                entering.add(event.employee_id)
    await uow.employees.add_many(e for i, e in changed.items() if i not in known)
    await uow.employees.put_many(e for i, e in changed.items() if i in known)
    if departed:
        ended = await end_pairs(
            uow, await uow.pairs.active_for(departed), PairEndReason.PARTICIPANT_DEPARTED
        )
        enrollments = await uow.enrollments.active_for(departed)
        await withdraw_enrollments(uow, enrollments, PairEndReason.PARTICIPANT_DEPARTED)
        log.info("employees departed", employees=len(departed), ended_pairs=len(ended))
    still_here = {e for e in moved if changed[e].active}
    # With no active pair anywhere (a first bulk load) there is nothing a new manager can break,
    # so the walk down the changed people's subtrees is skipped.
    if still_here and await uow.pairs.any_active():
        conflicts = await _end_reporting_line_conflicts(uow, still_here, entering)
        if conflicts:
            log.info("reporting-line conflicts ended pairs", ended_pairs=conflicts)
    if stale:
        log.info("stale HR records ignored", records=stale)


async def _end_reporting_line_conflicts(
    uow: PairingUnitOfWork, changed: set[str], entering: set[str]
) -> int:
    """`entering` people (hired or rehired in this batch) are in no active pair (a departure
    ended theirs), so only the people below them are looked up: a batch of new hires costs one
    walk, not a search of every active pair for 500 ids."""
    affected = (changed - entering) | await uow.employees.reporting_to(changed)
    if not affected:
        return 0
    pairs = await uow.pairs.active_for(affected)
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
