"""Pairs: proposed by a matching run, accepted by both sides (or automatically), then ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from tandem_contracts.events import PairEndReason
from tandem_pairing.domain.matching import ScoreBreakdown


class PairStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    SUPERSEDED = "superseded"
    ENDED = "ended"


class PairStateError(ValueError):
    pass


class Pair(BaseModel):
    pair_id: str
    program_id: str
    run_id: str
    group_id: str | None = None
    mentor_enrollment_id: str
    mentee_enrollment_id: str
    mentor_id: str
    mentee_id: str
    breakdown: ScoreBreakdown
    status: PairStatus = PairStatus.PROPOSED
    mentor_accepted: bool = False
    mentee_accepted: bool = False
    created_at: datetime
    activated_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: PairEndReason | None = None

    def involves(self, employee_id: str) -> bool:
        return employee_id in (self.mentor_id, self.mentee_id)

    def accept(self, employee_id: str, now: datetime) -> Pair:
        """One side's yes; the pair is active once both have said it."""
        if self.status is not PairStatus.PROPOSED:
            raise PairStateError(f"pair is {self.status.value}; only a proposal can be accepted")
        if not self.involves(employee_id):
            raise PairStateError(f"{employee_id} is not part of this pair")
        mentor = self.mentor_accepted or employee_id == self.mentor_id
        mentee = self.mentee_accepted or employee_id == self.mentee_id
        pair = self.model_copy(update={"mentor_accepted": mentor, "mentee_accepted": mentee})
        return pair.activate(now) if mentor and mentee else pair

    def activate(self, now: datetime) -> Pair:
        return self.model_copy(
            update={
                "status": PairStatus.ACTIVE,
                "activated_at": now,
                "mentor_accepted": True,
                "mentee_accepted": True,
            }
        )

    def decline(self, employee_id: str) -> Pair:
        if self.status is not PairStatus.PROPOSED:
            raise PairStateError(f"pair is {self.status.value}; only a proposal can be declined")
        if not self.involves(employee_id):
            raise PairStateError(f"{employee_id} is not part of this pair")
        return self.model_copy(update={"status": PairStatus.DECLINED})

    def end(self, reason: PairEndReason, now: datetime) -> Pair:
        if self.status is not PairStatus.ACTIVE:
            raise PairStateError(f"pair is {self.status.value}; only an active pair can end")
        return self.model_copy(
            update={"status": PairStatus.ENDED, "ended_at": now, "end_reason": reason}
        )
