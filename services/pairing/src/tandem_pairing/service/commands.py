"""What program managers and employees ask the pairing service to do (validated at the edge)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from tandem_contracts.base import Identifier
from tandem_contracts.events import TopicExpertise, TopicGoal
from tandem_contracts.values import Availability, LanguageCode, ProgramFormat, Role, TopicName
from tandem_pairing.domain.matching import MatchingRules, MatchingWeights, Objective, SeniorityBasis
from tandem_pairing.domain.programs import MAX_PROGRAM_SPAN

MAX_SESSION_MINUTES = 60


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: float = Field(default=1.0, ge=0, le=10)
    availability: float = Field(default=0.25, ge=0, le=10)
    cross_department: float = Field(default=0.25, ge=0, le=10)
    preference: float = Field(default=0.25, ge=0, le=10)

    def domain(self) -> MatchingWeights:
        return MatchingWeights(
            self.topic, self.availability, self.cross_department, self.preference
        )


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seniority_basis: SeniorityBasis = SeniorityBasis.JOB_LEVEL
    min_seniority_gap: int = Field(default=1, ge=0, le=40)
    allow_same_manager: bool = False
    allow_same_team: bool = False
    require_shared_topic: bool = True
    min_common_minutes: int = Field(default=60, ge=30, le=600)

    def domain(self) -> MatchingRules:
        return MatchingRules(**self.model_dump())


class CreateProgram(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    starts_on: date
    ends_on: date
    duration_weeks: int = Field(ge=1, le=104)
    cadence_weeks: int = Field(default=1, ge=1, le=8, description="1 = weekly, N = every N weeks")
    session_minutes: int = Field(ge=15, description="at most 60: sessions are short by design")
    format: ProgramFormat = ProgramFormat.ONE_TO_ONE
    group_size: int | None = Field(default=None, ge=2, le=30, validate_default=True)
    topics: list[TopicName] = Field(min_length=1, max_length=100)
    weights: Weights = Weights()
    rules: Rules = Rules()
    mentor_capacity: int = Field(default=1, ge=1, le=30)
    objective: Objective = Objective.MAX_SCORE
    auto_accept: bool = False
    co_manager_ids: list[Identifier] = Field(
        default_factory=list, max_length=20, description="who manages it besides its creator"
    )

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        starts = info.data.get("starts_on")
        if starts is not None and value <= starts:
            raise ValueError("ends_on must be after starts_on")
        if starts is not None and value - starts > MAX_PROGRAM_SPAN:
            raise ValueError(f"a program lasts at most {MAX_PROGRAM_SPAN.days} days")
        return value

    @field_validator("session_minutes")
    @classmethod
    def _short(cls, value: int) -> int:
        if value > MAX_SESSION_MINUTES:
            raise ValueError(
                f"sessions last at most {MAX_SESSION_MINUTES} minutes "
                f"(short weekly sessions); got {value}"
            )
        return value

    @field_validator("group_size")
    @classmethod
    def _group(cls, value: int | None, info: ValidationInfo) -> int | None:
        fmt = info.data.get("format")
        if fmt is ProgramFormat.GROUP and value is None:
            raise ValueError("a group program needs group_size")
        if fmt is not ProgramFormat.GROUP and value is not None:
            raise ValueError("only group programs have a group_size")
        return value

    @field_validator("topics")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("topics must be distinct")
        return value


class Preferences(BaseModel):
    """Optional wishes: people to avoid (never paired, either side's wish is enough) or to prefer
    (a score bonus of the program's `preference` weight)."""

    model_config = ConfigDict(extra="forbid")

    avoid_employee_ids: list[Identifier] = Field(default_factory=list, max_length=50)
    preferred_employee_ids: list[Identifier] = Field(default_factory=list, max_length=20)

    @field_validator("preferred_employee_ids")
    @classmethod
    def _not_both(cls, value: list[str], info: ValidationInfo) -> list[str]:
        both = set(value) & set(info.data.get("avoid_employee_ids", []))
        if both:
            raise ValueError(f"cannot both avoid and prefer {', '.join(sorted(both))}")
        return value


class Enroll(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employee_id: Identifier
    role: Role
    expertise: list[TopicExpertise] = Field(default_factory=list, max_length=30)
    goals: list[TopicGoal] = Field(default_factory=list, max_length=30)
    languages: list[LanguageCode] = Field(
        default_factory=list, max_length=20, description="empty: from HR"
    )
    availability: Availability
    capacity: int = Field(default=1, ge=1, le=30, description="mentors: how many mentees at once")
    preferences: Preferences = Field(default_factory=Preferences)

    @field_validator("availability")
    @classmethod
    def _some_time(cls, value: Availability) -> Availability:
        if not value.slots:
            raise ValueError("give at least one weekly slot")
        return value


class RunMatching(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objective: Objective | None = Field(default=None, description="override the program's")
    candidates_per_mentee: int = Field(default=50, ge=1, le=500)
    candidates_per_mentor: int = Field(default=20, ge=1, le=500)


class PairDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    employee_id: Identifier
