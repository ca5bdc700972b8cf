"""Value types shared by several events."""

from __future__ import annotations

from datetime import time
from enum import IntEnum, StrEnum
from importlib import resources
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from tandem_contracts.base import ContractModel

IANA_TIME_ZONES: tuple[str, ...] = tuple(
    sorted(resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())
)
"""The IANA time zone names of the pinned `tzdata` release: the same list on every machine
(the system's zoneinfo also answers to names like `localtime`, which mean a different zone on
each host), and the `enum` of every `time_zone` in the JSON Schemas."""
_ZONES = frozenset(IANA_TIME_ZONES)


def _known_time_zone(value: str) -> str:
    """Only IANA names resolve the same everywhere; abbreviations and offsets are ambiguous."""
    if value not in _ZONES:
        raise ValueError("not a known IANA time zone name (such as Europe/Berlin)")
    return value


TimeZoneName = Annotated[
    str,
    AfterValidator(_known_time_zone),
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(IANA_TIME_ZONES),
            "description": "IANA time zone name (tzdata)",
        }
    ),
]

LANGUAGE_TAG = r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?$"
"""The BCP 47 tags people use for a language: language (ISO 639), optional script (ISO 15924),
optional region (ISO 3166 or UN M.49): `de`, `en-GB`, `zh-Hant-TW`, `es-419`."""


def _canonical_language_tag(value: str) -> str:
    """BCP 47 case conventions, so `EN-gb` and `en-GB` are the same tag everywhere."""
    parts = value.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(out)


def spoken_language(tag: str) -> str:
    """What two people must share to talk: the primary language subtag (`en-GB` and `en-US`
    are both `en`). Scripts and regions are ignored; distinct languages have distinct primary
    subtags (`yue` Cantonese, `cmn` or `zh` Mandarin)."""
    return tag.split("-", 1)[0].lower()


LanguageCode = Annotated[
    str,
    StringConstraints(pattern=LANGUAGE_TAG),
    AfterValidator(_canonical_language_tag),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LANGUAGE_TAG,
            "description": "BCP 47 language tag: language, optional script and region "
            "(de, en-GB, zh-Hant, es-419), any case. Matching compares the language alone: "
            "en-GB and en-US speakers share en.",
        }
    ),
]
"""A BCP 47 language tag (`de`, `en-GB`, `zh-Hant`), stored in canonical case."""
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
