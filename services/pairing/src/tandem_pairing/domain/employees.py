"""The employee projection: HR is the source of truth; the newest record wins.

HR systems may deliver late or twice. Each record carries `effective_at`; a record that is not
newer than what is stored changes nothing. A departure leaves a tombstone that keeps only what
the rules still need (the id, and when it became true), so a stale update cannot revive it.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from tandem_contracts.events import EmployeeDeparted, EmployeeHired, EmployeeUpdated
from tandem_contracts.values import Generation

GENERATION_BIRTH_YEAR = {
    Generation.BABY_BOOMER: 1955,
    Generation.GEN_X: 1972,
    Generation.MILLENNIAL: 1988,
    Generation.GEN_Z: 2002,
    Generation.GEN_ALPHA: 2014,
}


class Employee(BaseModel):
    model_config = ConfigDict(frozen=True)

    employee_id: str
    active: bool
    effective_at: datetime
    manager_id: str | None = None
    department: str = ""
    team: str | None = None
    job_level: int = 0
    birth_year: int | None = None
    """As HR sent it: never derived from a generation."""
    generation: Generation | None = None
    languages: tuple[str, ...] = ()
    time_zone: str = "UTC"
    departed_on: date | None = None

    @property
    def seniority_birth_year(self) -> int | None:
        """What the age-based seniority rule compares: the birth year, or for people HR sent
        only a generation, a representative year of it (the generation's middle)."""
        if self.birth_year is not None:
            return self.birth_year
        return GENERATION_BIRTH_YEAR[self.generation] if self.generation is not None else None


HrEvent = EmployeeHired | EmployeeUpdated | EmployeeDeparted
KEPT_FROM_HR = {"employee_id", "effective_at", "manager_id", "department", "team", "job_level"}
KEPT_FROM_HR |= {"languages", "time_zone", "birth_year", "generation"}
"""What the projection keeps of an HR record: only what the matching rules read."""


def apply(current: Employee | None, event: HrEvent) -> Employee | None:
    """The new record, or None when `event` is not newer than what is known."""
    if current is not None and event.effective_at <= current.effective_at:
        return None
    if isinstance(event, EmployeeDeparted):
        return Employee(
            employee_id=event.employee_id,
            active=False,
            effective_at=event.effective_at,
            departed_on=event.departed_on,
        )
    kept = event.model_dump(include=KEPT_FROM_HR)
    return Employee(**kept, active=True)


def in_reporting_line(a: str, chain_a: tuple[str, ...], b: str, chain_b: tuple[str, ...]) -> bool:
    """Whether either person manages the other, directly or further up."""
    return b in chain_a or a in chain_b
