"""Value types shared by several events."""

from __future__ import annotations

from datetime import time
from enum import IntEnum, StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from tandem_contracts.base import ContractModel


def _known_time_zone(value: str) -> str:
    """Only IANA names resolve the same everywhere; abbreviations like CET are ambiguous."""
    if value not in _ZONES:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not a known IANA time zone name") from exc
    return value


_ZONES = frozenset(available_timezones())

TimeZoneName = Annotated[str, AfterValidator(_known_time_zone)]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
"""ISO 639 language code, optionally with a region (`de`, `en-GB`)."""
TopicName = Annotated[str, StringConstraints(min_length=1, max_length=80)]


class Weekday(IntEnum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


class Generation(StrEnum):
    """Used when HR systems share a generation instead of a birth year."""

    BABY_BOOMER = "baby_boomer"
    GEN_X = "gen_x"
    MILLENNIAL = "millennial"
    GEN_Z = "gen_z"
    GEN_ALPHA = "gen_alpha"


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class ProgramFormat(StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"
    WORKSHOP = "workshop"
    SHADOWING = "shadowing"


WallClockTime = Annotated[
    time,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "description": "Wall-clock time `HH:MM` or `HH:MM:SS`, without an offset",
            "examples": ["08:30"],
        }
    ),
]
"""A time of day as the API takes it: "08:30" (an offset is refused: the zone is separate)."""


class WeeklySlot(ContractModel):
    """A recurring window of availability, in the owner's own time zone."""

    weekday: Weekday
    start: WallClockTime
    end: WallClockTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklySlot:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("slot times are wall-clock times; the time zone is given separately")
        if self.end <= self.start:
            raise ValueError("slot end must be after its start (split slots that cross midnight)")
        return self


class Availability(ContractModel):
    """Weekly availability: slots in one IANA time zone."""

    time_zone: TimeZoneName
    slots: tuple[WeeklySlot, ...] = Field(max_length=336)


SessionMinutes = Annotated[int, Field(ge=15, le=60)]
"""Sessions are short: the program design caps them at one hour."""
