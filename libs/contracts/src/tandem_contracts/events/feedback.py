"""Events of the feedback service: goals, session feedback from both sides, competence
assessments and program surveys.

They carry ids and scores, never words: comments, goal descriptions and assessment notes stay
in the feedback service's database (a person's own text is not broadcast, logged or retained
by other services). Every event is keyed by the pair, so one pair's events stay in order.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime
from tandem_contracts.values import Role, TopicName


class _PairEvent(Event, topic=topics.FEEDBACK, key="pair_id"):
    pair_id: Identifier
    program_id: Identifier


class GoalSet(_PairEvent, type="org.tandem.feedback.goal_set.v1"):
    """A goal was added to the pair's goal sheet or edited by its owner (`revision` counts the
    edits, 1 for a new goal). The description stays in the feedback service."""

    goal_id: Identifier
    owner_role: Role
    topic_name: TopicName | None = Field(
        default=None, description="One of the pair's topics; mentors' goals may have none"
    )
    target_level: int = Field(ge=1, le=5)
    milestones: int = Field(ge=0, le=20, description="How many milestones the goal has")
    revision: int = Field(ge=1)
    set_at: UtcDatetime


class GoalProgressed(_PairEvent, type="org.tandem.feedback.goal_progressed.v1"):
    """A milestone of a goal was reached."""

    goal_id: Identifier
    owner_role: Role
    milestone_id: Identifier
    milestones_done: int = Field(ge=1, le=20)
    milestones_total: int = Field(ge=1, le=20)
    progressed_at: UtcDatetime

    @model_validator(mode="after")
    def _done_within_total(self) -> GoalProgressed:
        if self.milestones_done > self.milestones_total:
            raise ValueError("milestones_done cannot exceed milestones_total")
        return self


class GoalAchieved(_PairEvent, type="org.tandem.feedback.goal_achieved.v1"):
    """The goal's owner declared it achieved."""

    goal_id: Identifier
    owner_role: Role
    achieved_at: UtcDatetime


class FeedbackRequested(_PairEvent, type="org.tandem.feedback.feedback_requested.v1"):
    """A session was held: both members are asked for their feedback (for notification
    systems). Never sent for missed or cancelled sessions."""

    session_id: Identifier
    mentor_id: Identifier
    mentee_id: Identifier
    held_at: UtcDatetime
    remind_at: UtcDatetime = Field(description="When a reminder goes to who has not answered")
    requested_at: UtcDatetime


class FeedbackReminderDue(_PairEvent, type="org.tandem.feedback.feedback_reminder_due.v1"):
    """Feedback on a held session is still missing from `pending_ids` (sent once)."""

    session_id: Identifier
    pending_roles: tuple[Role, ...] = Field(min_length=1, max_length=2)
    pending_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=2)
    due_at: UtcDatetime


class FeedbackSubmitted(_PairEvent, type="org.tandem.feedback.feedback_submitted.v1"):
    """One member's feedback on a held session: scores only. Whether a comment was written is
    said; its text never leaves the feedback service."""

    feedback_id: Identifier
    session_id: Identifier
    author_role: Role
    rating: int = Field(ge=1, le=5, description="How good the session was")
    usefulness: int = Field(ge=1, le=5, description="How useful it was to the author")
    commented: bool = False
    submitted_at: UtcDatetime


class AssessmentPhase(StrEnum):
    BASELINE = "baseline"
    """When the pair starts."""
    MIDPOINT = "midpoint"
    """At half the pair's planned duration."""
    FINAL = "final"
    """When the pair ends or its program closes."""


class AssessmentDue(_PairEvent, type="org.tandem.feedback.assessment_due.v1"):
    """An assessment round opened: the mentee assesses themselves and the mentor assesses the
    mentee, for each of the pair's topics, by `due_at`."""

    phase: AssessmentPhase
    mentor_id: Identifier
    mentee_id: Identifier
    topics: tuple[TopicName, ...] = Field(min_length=1, max_length=100)
    opened_at: UtcDatetime
    due_at: UtcDatetime


class AssessmentOverdue(_PairEvent, type="org.tandem.feedback.assessment_overdue.v1"):
    """An assessment round passed its due date with assessors missing (sent once); late
    assessments are still accepted and flagged `late`."""

    phase: AssessmentPhase
    pending_roles: tuple[Role, ...] = Field(min_length=1, max_length=2)
    pending_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=2)
    due_at: UtcDatetime
    reported_at: UtcDatetime


class CompetenceAssessed(_PairEvent, type="org.tandem.feedback.competence_assessed.v1"):
    """One level for one topic of the mentee (`employee_id`): the mentee's own view
    (`assessor_role` mentee) or the mentor's view of the mentee (`assessor_role` mentor)."""

    assessment_id: Identifier
    employee_id: Identifier = Field(description="The assessed mentee")
    assessor_role: Role
    topic_name: TopicName
    phase: AssessmentPhase
    level: int = Field(ge=1, le=5)
    late: bool = Field(default=False, description="Given after the round's due date")
    assessed_at: UtcDatetime


class SurveyKind(StrEnum):
    MQS = "mqs"
    """Mentoring Quality Score: each participant rates the relationship 1-5, on day 30 of the
    pair and then every 60 days."""
    NPS = "nps"
    """Net Promoter Score: 0-10, would you recommend this program to a colleague; at the end."""


class SurveyDue(_PairEvent, type="org.tandem.feedback.survey_due.v1"):
    """A survey window opened for both members of the pair."""

    survey_id: Identifier
    kind: SurveyKind
    sequence: int = Field(ge=1, description="1 for the first MQS of the pair (day 30)")
    mentor_id: Identifier
    mentee_id: Identifier
    opens_at: UtcDatetime
    closes_at: UtcDatetime


class SurveyAnswered(_PairEvent, type="org.tandem.feedback.survey_answered.v1"):
    """One member's answer: the score only."""

    survey_id: Identifier
    kind: SurveyKind
    respondent_role: Role
    score: int = Field(ge=0, le=10, description="MQS 1-5, NPS 0-10")
    answered_at: UtcDatetime

    @model_validator(mode="after")
    def _score_in_scale(self) -> SurveyAnswered:
        if self.kind is SurveyKind.MQS and not 1 <= self.score <= 5:
            raise ValueError("an MQS score is 1-5")
        return self
