"""Pairs: proposed by a matching run, accepted by both sides (or automatically), then ended.

Activation announces the pair with everything scheduling and feedback need (`PairCreated`);
ending announces why (`PairEnded`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import (
    PairCreated,
    PairDeclined,
    PairEnded,
    PairEndReason,
    PairMember,
)
from tandem_contracts.values import ProgramFormat, Role
from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.errors import StateError
from tandem_pairing.domain.matching import ScoreBreakdown
from tandem_pairing.domain.programs import Program

SUPERSEDED_KEEP_S = 90 * 24 * 3600
"""How long a superseded proposal stays readable (the runs' history) before MongoDB deletes it."""


class PairStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    SUPERSEDED = "superseded"
    ENDED = "ended"


class PairStateError(StateError):
    pass


@dataclass(frozen=True)
class PairTerms:
    """What an active pair meets under: the program's rhythm and both people's availability."""

    mentor: PairMember
    mentee: PairMember
    program_topics: tuple[str, ...]
    format: ProgramFormat
    cadence_weeks: int
    session_minutes: int
    starts_on: date
    ends_on: date


def pair_terms(program: Program, mentor: Enrollment, mentee: Enrollment, today: date) -> PairTerms:
    """The terms of a pair formed `today`: sessions start no earlier than today."""

    def member(e: Enrollment) -> PairMember:
        return PairMember(
            employee_id=e.employee_id,
            enrollment_id=e.enrollment_id,
            languages=e.languages,
            availability=e.availability,
        )

    return PairTerms(
        mentor=member(mentor),
        mentee=member(mentee),
        program_topics=program.topics,
        format=program.format,
        cadence_weeks=program.cadence_weeks,
        session_minutes=program.session_minutes,
        starts_on=max(program.starts_on, today),
        ends_on=program.ends_on,
    )


class Pair(Aggregate):
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
    superseded_at: datetime | None = None
    """When a later run or the program's close replaced this proposal (it expires after
    `SUPERSEDED_KEEP_S`)."""

    def involves(self, employee_id: str) -> bool:
        return employee_id in (self.mentor_id, self.mentee_id)

    def accept(self, employee_id: str, now: datetime, terms: PairTerms | None) -> Pair:
        """One side's yes; the pair is active once both have said it (`terms` None: a side
        has withdrawn meanwhile, so the pair cannot become active)."""
        if self.status is not PairStatus.PROPOSED:
            raise PairStateError(f"pair is {self.status.value}; only a proposal can be accepted")
        if not self.involves(employee_id):
            raise PairStateError(f"{employee_id} is not part of this pair")
        mentor = self.mentor_accepted or employee_id == self.mentor_id
        mentee = self.mentee_accepted or employee_id == self.mentee_id
        pair = self.model_copy(update={"mentor_accepted": mentor, "mentee_accepted": mentee})
        if not (mentor and mentee):
            return pair
        if terms is None:
            raise PairStateError("a participant of this pair has withdrawn")
        return pair.activate(now, terms)

    def activate(self, now: datetime, terms: PairTerms) -> Pair:
        active = self.model_copy(
            update={
                "status": PairStatus.ACTIVE,
                "activated_at": now,
                "mentor_accepted": True,
                "mentee_accepted": True,
            }
        )
        return active.announcing(
            PairCreated,
            mentor=terms.mentor,
            mentee=terms.mentee,
            topics=self.breakdown.shared_topics or terms.program_topics,
            format=terms.format,
            cadence_weeks=terms.cadence_weeks,
            session_minutes=terms.session_minutes,
            starts_on=terms.starts_on,
            ends_on=terms.ends_on,
            score=self.breakdown.total,
            created_at=now,
        )

    def decline(self, employee_id: str, now: datetime) -> Pair:
        if self.status is not PairStatus.PROPOSED:
            raise PairStateError(f"pair is {self.status.value}; only a proposal can be declined")
        if not self.involves(employee_id):
            raise PairStateError(f"{employee_id} is not part of this pair")
        side = Role.MENTOR if employee_id == self.mentor_id else Role.MENTEE
        declined = self.model_copy(update={"status": PairStatus.DECLINED})
        return declined.announcing(PairDeclined, declined_by=side, declined_at=now)

    def end(self, reason: PairEndReason, now: datetime) -> Pair:
        if self.status is not PairStatus.ACTIVE:
            raise PairStateError(f"pair is {self.status.value}; only an active pair can end")
        ended = self.model_copy(
            update={"status": PairStatus.ENDED, "ended_at": now, "end_reason": reason}
        )
        return ended.announcing(PairEnded, reason=reason)
