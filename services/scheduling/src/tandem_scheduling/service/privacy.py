"""GDPR erasure in scheduling: the person becomes a random pseudonym in every series and
session (counts and times stay, so KPIs do not change), and their availability is forgotten."""

from __future__ import annotations

import uuid

from tandem_scheduling.service.ports import SchedulingUnitOfWork


async def erase(employee_id: str, uow: SchedulingUnitOfWork) -> int:
    return await uow.erase_person(employee_id, f"erased-{uuid.uuid4().hex[:16]}")
