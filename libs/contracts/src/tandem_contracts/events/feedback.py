"""Events of the feedback service: session feedback from both sides and competence assessments."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime
from tandem_contracts.values import Role, TopicName


class FeedbackSubmitted(
    Event, type="org.tandem.feedback.feedback_submitted.v1", topic=topics.FEEDBACK, key="pair_id"
):
    """`comment` is free text written by a person: it is never logged."""

    feedback_id: Identifier
    session_id: Identifier
    pair_id: Identifier
    program_id: Identifier
    author_role: Role
    rating: int = Field(ge=1, le=5)
    usefulness: int | None = Field(default=None, ge=1, le=5)
    comment: str | None = Field(default=None, max_length=4000)
    submitted_at: UtcDatetime


class AssessmentPhase(StrEnum):
    BASELINE = "baseline"
    MIDPOINT = "midpoint"
    FINAL = "final"


class CompetenceAssessed(
    Event, type="org.tandem.feedback.competence_assessed.v1", topic=topics.FEEDBACK, key="pair_id"
):
    assessment_id: Identifier
    pair_id: Identifier
    program_id: Identifier
    employee_id: Identifier
    topic_name: TopicName
    phase: AssessmentPhase
    level: int = Field(ge=1, le=5)
    assessed_at: UtcDatetime
