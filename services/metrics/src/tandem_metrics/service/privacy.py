"""GDPR erasure in metrics: the person becomes a random pseudonym in every fact (the KPIs do not
change), and is remembered as erased so later events naming them do not bring the id back."""

from __future__ import annotations

import uuid

from tandem_metrics.service.ports import MetricsUnitOfWork


async def erase(employee_id: str, uow: MetricsUnitOfWork) -> int:
    return await uow.forget_person(employee_id, f"erased-{uuid.uuid4().hex[:16]}")
