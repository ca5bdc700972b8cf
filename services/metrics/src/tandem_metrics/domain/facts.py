"""What the metrics service keeps of the events: one fact per thing (program, enrollment, pair,
session, feedback, survey answer, employee), each merged from the events that concern it.

Every event sets only its own fields of its fact, so applying a history in any order, or an
event twice, leaves the same facts: KPIs follow from the facts, never from counters.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class ProgramFact(BaseModel):
    program_id: str
    starts_on: date | None = None
    ends_on: date | None = None
    cadence_weeks: int | None = None
    manager_ids: tuple[str, ...] = ()
    closed_at: datetime | None = None


class EmployeeFact(BaseModel):
    employee_id: str
    hired_on: date | None = None
    departed_on: date | None = None


class EnrollmentFact(BaseModel):
    enrollment_id: str
    program_id: str | None = None
    employee_id: str | None = None
    role: str | None = None
    enrolled_at: datetime | None = None
    withdrawn_at: datetime | None = None


class PairFact(BaseModel):
    pair_id: str
    program_id: str | None = None
    mentor_id: str | None = None
    mentee_id: str | None = None
    mentee_enrollment_id: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    cadence_weeks: int | None = None
    created_at: datetime | None = None
    declined_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str | None = None


class SessionFact(BaseModel):
    session_id: str
    pair_id: str | None = None
    program_id: str | None = None
    starts_at: datetime | None = None
    scheduled: bool = False
    cancelled_at: datetime | None = None
    held_at: datetime | None = None
    held_minutes: int | None = None
    missed: bool = False
    unschedulable: bool = False
    feedback_requested: bool = False

    @property
    def status(self) -> str | None:
        """Held beats missed beats cancelled beats scheduled: a verdict is never undone."""
        if self.held_at is not None:
            return "held"
        if self.missed:
            return "missed"
        if self.cancelled_at is not None:
            return "cancelled"
        if self.scheduled:
            return "scheduled"
        return "unschedulable" if self.unschedulable else None


class FeedbackFact(BaseModel):
    """One side's feedback on one session (`<session>|<role>`)."""

    feedback_key: str
    session_id: str
    pair_id: str
    program_id: str
    role: str
    rating: int
    usefulness: int


class SurveyAnswerFact(BaseModel):
    """One side's answer to one survey (`<survey>|<role>`)."""

    answer_key: str
    survey_id: str
    pair_id: str
    program_id: str
    kind: str
    role: str
    score: int
    answered_at: datetime


class GoalFact(BaseModel):
    goal_id: str
    pair_id: str
    program_id: str
    owner_role: str
    achieved: bool = False


class AssessmentFact(BaseModel):
    """One level: `<pair>|<topic>|<phase>|<assessor role>`."""

    assessment_key: str
    pair_id: str
    program_id: str
    topic_name: str
    phase: str
    role: str
    level: int
