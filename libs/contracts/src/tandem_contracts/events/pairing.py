"""Events of the pairing service: programs, enrollment and the pair lifecycle."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from tandem_contracts import topics
from tandem_contracts.base import ContractModel, Event, Identifier, UtcDatetime
from tandem_contracts.values import (
    Availability,
    LanguageCode,
    ProgramFormat,
    Role,
    SessionMinutes,
    TopicName,
)


class TopicExpertise(ContractModel):
    """What a mentor can teach, with a self-rated level from 1 (basics) to 5 (expert)."""

    topic: TopicName
    level: int = Field(ge=1, le=5)


class TopicGoal(ContractModel):
    """What a mentee wants to learn, with a priority from 1 (nice to have) to 5 (essential)."""

    topic: TopicName
    priority: int = Field(ge=1, le=5)


class ProgramOpened(
    Event, type="org.tandem.pairing.program_opened.v1", topic=topics.PAIRING, key="program_id"
):
    program_id: Identifier
    name: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    duration_weeks: int = Field(ge=1, le=104)
    cadence_weeks: int = Field(ge=1, le=8, description="1 = weekly, 2 = every other week")
    session_minutes: SessionMinutes
    format: ProgramFormat
    group_size: int | None = Field(default=None, ge=2, le=30)
    topics: tuple[TopicName, ...] = Field(min_length=1, max_length=100)
    manager_ids: tuple[Identifier, ...] = Field(
        default=(),
        max_length=50,
        description="Employees who manage the program (other services grant them its data)",
    )
    opened_at: UtcDatetime

    @model_validator(mode="after")
    def _dates(self) -> ProgramOpened:
        if self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ProgramClosed(
    Event, type="org.tandem.pairing.program_closed.v1", topic=topics.PAIRING, key="program_id"
):
    program_id: Identifier
    closed_at: UtcDatetime


class ParticipantEnrolled(
    Event, type="org.tandem.pairing.participant_enrolled.v1", topic=topics.PAIRING, key="program_id"
):
    program_id: Identifier
    enrollment_id: Identifier
    employee_id: Identifier
    role: Role
    expertise: tuple[TopicExpertise, ...] = ()
    goals: tuple[TopicGoal, ...] = ()
    languages: tuple[LanguageCode, ...] = Field(min_length=1)
    availability: Availability
    capacity: int = Field(default=1, ge=1, le=30)
    enrolled_at: UtcDatetime

    @model_validator(mode="after")
    def _topics_match_role(self) -> ParticipantEnrolled:
        if self.role is Role.MENTOR and not self.expertise:
            raise ValueError("a mentor enrolls with at least one topic of expertise")
        if self.role is Role.MENTEE and not self.goals:
            raise ValueError("a mentee enrolls with at least one learning goal")
        return self


class ParticipantWithdrawn(
    Event,
    type="org.tandem.pairing.participant_withdrawn.v1",
    topic=topics.PAIRING,
    key="program_id",
):
    program_id: Identifier
    enrollment_id: Identifier
    employee_id: Identifier
    role: Role
    withdrawn_at: UtcDatetime


class PairMember(ContractModel):
    """What downstream services need of one side of a pair: who, and when they can meet."""

    employee_id: Identifier
    enrollment_id: Identifier
    languages: tuple[LanguageCode, ...] = Field(min_length=1)
    availability: Availability


class PairCreated(
    Event, type="org.tandem.pairing.pair_created.v1", topic=topics.PAIRING, key="pair_id"
):
    pair_id: Identifier
    program_id: Identifier
    group_id: Identifier | None = Field(
        default=None,
        description="Set when the mentor leads a group or workshop: all its pairs share it",
    )
    format: ProgramFormat = Field(
        default=ProgramFormat.ONE_TO_ONE, description="The program's session format"
    )
    mentor: PairMember
    mentee: PairMember
    topics: tuple[TopicName, ...] = Field(min_length=1)
    cadence_weeks: int = Field(ge=1, le=8)
    session_minutes: SessionMinutes
    starts_on: date
    ends_on: date
    score: float = Field(ge=0)
    created_at: UtcDatetime


class PairEndReason(StrEnum):
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    PARTICIPANT_DEPARTED = "participant_departed"
    REPORTING_LINE_CONFLICT = "reporting_line_conflict"
    ENDED_BY_PROGRAM_MANAGER = "ended_by_program_manager"


class PairEnded(
    Event, type="org.tandem.pairing.pair_ended.v1", topic=topics.PAIRING, key="pair_id"
):
    pair_id: Identifier
    program_id: Identifier
    mentor_id: Identifier
    mentee_id: Identifier
    reason: PairEndReason
    ended_at: UtcDatetime


class PairDeclined(
    Event, type="org.tandem.pairing.pair_declined.v1", topic=topics.PAIRING, key="pair_id"
):
    """A proposed pair one side declined (it never becomes active): with `PairCreated`, what
    the acceptance rate of proposals is computed from."""

    pair_id: Identifier
    program_id: Identifier
    declined_by: Role
    declined_at: UtcDatetime
