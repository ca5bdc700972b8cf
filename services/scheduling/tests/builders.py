"""Small builders the scheduling tests share."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tandem_contracts.values import Availability, ProgramFormat, Weekday, WeeklySlot
from tandem_scheduling.domain.series import Person, Series, SeriesPair, new_series

T0 = datetime(2027, 1, 4, tzinfo=UTC)
WEEKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)


def windows(
    zone: str, start: tuple[int, int], end: tuple[int, int], days: tuple[Weekday, ...] = WEEKDAYS
) -> Availability:
    return Availability(
        time_zone=zone,
        slots=tuple(WeeklySlot(weekday=d, start=time(*start), end=time(*end)) for d in days),
    )


def person(employee_id: str, availability: Availability) -> Person:
    return Person(employee_id=employee_id, availability=availability)


def one_to_one(
    pair_id: str,
    mentor: Person,
    mentee: Person,
    *,
    starts_on: date = date(2027, 1, 4),
    ends_on: date = date(2027, 6, 30),
    minutes: int = 45,
    cadence: int = 1,
    format: ProgramFormat = ProgramFormat.ONE_TO_ONE,
) -> Series:
    return new_series(
        series_id=pair_id,
        program_id="prog-1",
        format=format,
        cadence_weeks=cadence,
        session_minutes=minutes,
        starts_on=starts_on,
        ends_on=ends_on,
        mentor=mentor,
        pairs=[SeriesPair(pair_id=pair_id, mentee=mentee)],
    )
