"""Enrollment: an employee joins an open program as mentor or mentee."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import (
    ParticipantEnrolled,
    ParticipantWithdrawn,
    TopicExpertise,
    TopicGoal,
)
from tandem_contracts.values import Availability, Role
from tandem_pairing.domain.errors import StateError


class EnrollmentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


class EnrollmentStateError(StateError):
    pass


class Enrollment(Aggregate):
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

    @classmethod
    def create(cls, **fields: Any) -> Enrollment:
        """A new active enrollment, announced to the other services."""
        return cls(**fields).announcing(ParticipantEnrolled)

    def withdraw(self, now: datetime) -> Enrollment:
        if not self.active:
            raise EnrollmentStateError("enrollment is withdrawn already")
        withdrawn = self.model_copy(
            update={"status": EnrollmentStatus.WITHDRAWN, "withdrawn_at": now}
        )
        return withdrawn.announcing(ParticipantWithdrawn)
