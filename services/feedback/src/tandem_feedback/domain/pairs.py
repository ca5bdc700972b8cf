"""What feedback knows of a pair: its members, topics and life span."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tandem_contracts.values import Role
from tandem_feedback.domain.members import side_of


class PairRecord(BaseModel):
    pair_id: str
    program_id: str
    mentor_id: str
    mentee_id: str
    topics: tuple[str, ...]
    starts_at: datetime
    planned_end_at: datetime
    ended_at: datetime | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    @property
    def members(self) -> tuple[str, str]:
        return (self.mentor_id, self.mentee_id)

    def role_of(self, employee_id: str) -> Role | None:
        return side_of(employee_id, self.mentor_id, self.mentee_id)

    def member(self, role: Role) -> str:
        return self.mentor_id if role is Role.MENTOR else self.mentee_id

    def end(self, at: datetime, reason: str) -> PairRecord:
        """The pair's end, once (a later PairEnded or program close changes nothing)."""
        if self.ended_at is not None:
            return self
        return self.model_copy(update={"ended_at": max(at, self.starts_at), "end_reason": reason})

    def renamed(self, employee_id: str, pseudonym: str) -> PairRecord:
        return self.model_copy(
            update={
                "mentor_id": pseudonym if self.mentor_id == employee_id else self.mentor_id,
                "mentee_id": pseudonym if self.mentee_id == employee_id else self.mentee_id,
            }
        )
