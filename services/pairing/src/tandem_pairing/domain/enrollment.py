"""Enrollment: an employee joins an open program as mentor or mentee."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from tandem_contracts.events import TopicExpertise, TopicGoal
from tandem_contracts.values import Availability, Role


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class Enrollment(BaseModel):
    enrollment_id: str
    program_id: str
    employee_id: str
    role: Role
    expertise: tuple[TopicExpertise, ...] = ()
    goals: tuple[TopicGoal, ...] = ()
    languages: tuple[str, ...]
    availability: Availability
    capacity: int = 1
    avoid_employee_ids: tuple[str, ...] = ()
    preferred_employee_ids: tuple[str, ...] = ()
    status: EnrollmentStatus = EnrollmentStatus.ACTIVE
    enrolled_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def topic_values(self) -> dict[str, int]:
        """Mentor: topic → expertise level; mentee: topic → goal priority."""
        if self.role is Role.MENTOR:
            return {e.topic: e.level for e in self.expertise}
        return {g.topic: g.priority for g in self.goals}

    @property
    def active(self) -> bool:
        return self.status is EnrollmentStatus.ACTIVE
