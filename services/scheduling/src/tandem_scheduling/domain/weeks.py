"""The weeks of a series: one session window every `cadence_weeks` from `starts_on` to
`ends_on`, each seven local days of the mentor (whose calendar anchors the series)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from tandem_scheduling.domain.availability import ONE_DAY, local_instant, zone
from tandem_scheduling.domain.spans import Span


@dataclass(frozen=True)
class Week:
    sequence: int
    first: date
    last: date

    def span(self, time_zone: str) -> Span:
        """The week as UTC instants: local midnight of `first` to local midnight after `last`."""
        return _week_span(self.first, self.last, time_zone)

    def day_with(self, weekday: int) -> date | None:
        day = self.first + timedelta(days=(weekday - self.first.weekday()) % 7)
        return day if day <= self.last else None


@lru_cache(maxsize=4096)
def _week_span(first: date, last: date, time_zone: str) -> Span:
    tz = zone(time_zone)
    return Span(
        local_instant(first, time(), tz, opening=True),
        local_instant(last + ONE_DAY, time(), tz, opening=True),
    )


def series_weeks(starts_on: date, ends_on: date, cadence_weeks: int) -> list[Week]:
    weeks = []
    first, sequence = starts_on, 1
    while first <= ends_on:
        weeks.append(Week(sequence, first, min(first + timedelta(days=6), ends_on)))
        first += timedelta(weeks=cadence_weeks)
        sequence += 1
    return weeks


def week_of(starts_on: date, ends_on: date, cadence_weeks: int, sequence: int) -> Week:
    first = starts_on + timedelta(weeks=cadence_weeks * (sequence - 1))
    return Week(sequence, first, min(first + timedelta(days=6), ends_on))


def local_date_range(span: Span, time_zone: str) -> tuple[date, date]:
    """The local dates of `time_zone` that `span` touches."""
    tz = zone(time_zone)
    return span.start.astimezone(tz).date(), (span.end - timedelta(microseconds=1)).astimezone(
        tz
    ).date()


def at_local(day: date, at: time, time_zone: str) -> datetime:
    return local_instant(day, at, zone(time_zone), opening=True)
