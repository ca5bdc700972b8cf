"""Inbound employee events, published by the company's HR system (the source of truth for people).

Hired and Updated carry the full current record (state transfer), so a consumer never has to
merge partial updates and can order them by `effective_at` when they arrive out of order.
Only what the matching rules need is carried: no names, emails or addresses.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime
from tandem_contracts.values import Generation, LanguageCode, TimeZoneName


class _EmployeeRecord(Event, topic=topics.HR_EMPLOYEES, key="employee_id"):
    employee_id: Identifier
    manager_id: Identifier | None = None
    department: str = Field(min_length=1, max_length=120)
    team: str | None = Field(default=None, max_length=120)
    job_level: int = Field(ge=0, le=20, description="0 = entry level; higher is more senior")
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    generation: Generation | None = None
    languages: tuple[LanguageCode, ...] = Field(min_length=1, max_length=20)
    location: str | None = Field(default=None, max_length=120)
    time_zone: TimeZoneName
    effective_at: UtcDatetime = Field(description="When this record became true in the HR system")

    @model_validator(mode="after")
    def _not_own_manager(self) -> _EmployeeRecord:
        if self.manager_id == self.employee_id:
            raise ValueError("an employee cannot be their own manager")
        return self


class EmployeeHired(_EmployeeRecord, type="org.tandem.hr.employee_hired.v1"):
    hired_on: date


class EmployeeUpdated(_EmployeeRecord, type="org.tandem.hr.employee_updated.v1"):
    """The full current record after a change (same fields as a hire, without `hired_on`)."""


class EmployeeDeparted(
    Event, type="org.tandem.hr.employee_departed.v1", topic=topics.HR_EMPLOYEES, key="employee_id"
):
    employee_id: Identifier
    departed_on: date
    effective_at: UtcDatetime


class EmployeeErasureRequested(
    Event,
    type="org.tandem.hr.employee_erasure_requested.v1",
    topic=topics.HR_EMPLOYEES,
    key="employee_id",
):
    """GDPR erasure: every service erases or irreversibly pseudonymises this person's data and
    confirms with `PersonalDataErased` carrying the same `request_id`."""

    employee_id: Identifier
    request_id: Identifier
    requested_at: UtcDatetime
