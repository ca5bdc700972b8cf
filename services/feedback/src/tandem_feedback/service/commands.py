"""What the HTTP API accepts: strict bodies (unknown fields refused), bounded values."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from tandem_contracts.base import Identifier
from tandem_contracts.values import TopicName


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SubmitFeedback(Command):
    rating: int = Field(ge=1, le=5, description="How good the session was, 1-5")
    usefulness: int = Field(ge=1, le=5, description="How useful it was to you, 1-5")
    comment: str | None = Field(
        default=None,
        max_length=4000,
        description="Your words; kept in the feedback service only, never published",
    )


class MilestoneInput(Command):
    milestone_id: Identifier | None = Field(
        default=None, description="Keep an existing milestone (edits); omit to add one"
    )
    title: str = Field(min_length=1, max_length=200)
    due_on: date | None = None


class GoalInput(Command):
    topic_name: TopicName | None = Field(
        default=None, description="One of the pair's topics (required for the mentee's goals)"
    )
    description: str = Field(min_length=1, max_length=2000, description="Never published")
    target_level: int = Field(ge=1, le=5)
    milestones: tuple[MilestoneInput, ...] = Field(default=(), max_length=20)


class LevelInput(Command):
    topic_name: TopicName
    level: int = Field(ge=1, le=5, description="See the round's rubric")
    note: str | None = Field(default=None, max_length=1000, description="Never published")


class SubmitAssessment(Command):
    levels: tuple[LevelInput, ...] = Field(
        min_length=1, max_length=100, description="One level for each of the pair's topics"
    )


class AnswerSurvey(Command):
    score: int = Field(ge=0, le=10, description="MQS: 1-5; NPS: 0-10")
