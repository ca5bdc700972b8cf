"""What the HTTP API accepts: strict bodies (unknown fields refused), bounded values."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tandem_contracts.base import UtcDatetime
from tandem_scheduling.domain.sessions import Outcome


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reschedule(Command):
    starts_at: UtcDatetime = Field(
        description="The new start on a whole minute, with its UTC offset, within the week"
    )
    minutes: int | None = Field(
        default=None, ge=15, le=60, description="New length (default: unchanged); at most 60"
    )


class Cancel(Command):
    note: str | None = Field(
        default=None,
        max_length=500,
        description="Optional words for the pair; kept here, never published",
    )


class ReportAttendance(Command):
    outcome: Outcome
    minutes: int | None = Field(
        default=None, ge=1, le=60, description="How long the session lasted (when held)"
    )

    @model_validator(mode="after")
    def _minutes_when_held(self) -> ReportAttendance:
        if self.outcome is Outcome.HELD and self.minutes is None:
            raise ValueError("minutes: say how long the session lasted")
        if self.outcome is Outcome.PARTNER_ABSENT and self.minutes is not None:
            raise ValueError("minutes: only a held session has a length")
        return self
