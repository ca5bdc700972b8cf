"""Programs: what a program manager sets up, and the states it moves through."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import Field, model_validator

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import ProgramClosed, ProgramOpened
from tandem_contracts.values import ProgramFormat
from tandem_pairing.domain.errors import StateError
from tandem_pairing.domain.matching import MatchingRules, MatchingWeights, Objective

MAX_SESSION_MINUTES = 60


MAX_PROGRAM_SPAN = timedelta(weeks=156)
"""Three years: programs run for months (duration_weeks is at most 104), and the matching
engine reads every day of the span for DST switches."""


class ProgramStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ProgramRuleError(ValueError):
    """A program change that breaks a rule; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ProgramStateError(StateError):
    """A transition that the program's current state does not allow."""


class Program(Aggregate):
    program_id: str
    name: str
    starts_on: date
    ends_on: date
    duration_weeks: int = Field(ge=1, le=104)
    cadence_weeks: int = Field(ge=1, le=8)
    session_minutes: int = Field(ge=15, le=MAX_SESSION_MINUTES)
    format: ProgramFormat
    group_size: int | None = Field(default=None, ge=2, le=30)
    topics: tuple[str, ...]
    weights: MatchingWeights
    rules: MatchingRules
    mentor_capacity: int = Field(ge=1, le=30)
    objective: Objective
    auto_accept: bool
    manager_ids: tuple[str, ...] = ()
    status: ProgramStatus = ProgramStatus.DRAFT
    created_at: datetime
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        if self.ends_on <= self.starts_on:
            raise ProgramRuleError("ends_on", "must be after starts_on")
        if self.ends_on - self.starts_on > MAX_PROGRAM_SPAN:
            raise ProgramRuleError(
                "ends_on", f"a program lasts at most {MAX_PROGRAM_SPAN.days} days"
            )
        if self.format is ProgramFormat.GROUP and self.group_size is None:
            raise ProgramRuleError("group_size", "a group program needs a group size")
        if self.format is not ProgramFormat.GROUP and self.group_size is not None:
            raise ProgramRuleError("group_size", "only group programs have a group size")
        return self

    @property
    def places_per_mentor(self) -> int:
        """A group mentor leads one group of `group_size`; otherwise the capacity rule applies."""
        return self.group_size if self.group_size is not None else self.mentor_capacity

    def open(self, now: datetime) -> Program:
        if self.status is not ProgramStatus.DRAFT:
            raise ProgramStateError(f"program is {self.status.value}; only a draft can be opened")
        opened = self.model_copy(update={"status": ProgramStatus.OPEN, "opened_at": now})
        return opened.announcing(ProgramOpened)

    def close(self, now: datetime) -> Program:
        """Closed for good; the caller completes its active pairs."""
        if self.status is ProgramStatus.CLOSED:
            raise ProgramStateError("program is closed already")
        closed = self.model_copy(update={"status": ProgramStatus.CLOSED, "closed_at": now})
        return closed.announcing(ProgramClosed)

    def require_open(self, action: str) -> None:
        """Enrollment and matching happen only while the program is open."""
        if self.status is not ProgramStatus.OPEN:
            raise ProgramStateError(
                f"program is {self.status.value}; {action} needs an open program"
            )
