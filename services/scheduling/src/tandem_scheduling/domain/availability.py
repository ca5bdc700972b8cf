"""A person's weekly availability, turned into concrete UTC spans on concrete dates.

Every date is converted on its own with `zoneinfo`, so daylight-saving changes in any zone
(north or south, whole, half or quarter-hour offsets) are exact. A wall-clock time that does
not exist (the hour skipped in spring) stands for the instant the clock jumps; one that exists
twice (the hour repeated in autumn) is read conservatively: a window starts at the later and
ends at the earlier reading. Either way a session inside the span is inside the person's
window on their own clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from tandem_contracts.values import Availability
from tandem_scheduling.domain.spans import Span, merged

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_instant(day: date, at: time, tz: ZoneInfo, *, opening: bool) -> datetime:
    """The UTC instant of wall-clock `at` on `day` (see the module docstring for the skipped
    and repeated hours)."""
    first = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
    second = datetime.combine(day, at, tzinfo=tz).replace(fold=1).astimezone(UTC)
    if first == second:
        return first
    if first > second:  # skipped: no instant has this wall time; the clock jumps over it
        return _jump(second, first, tz)
    return second if opening else first


def _jump(low: datetime, high: datetime, tz: ZoneInfo) -> datetime:
    """The instant between `low` and `high` where `tz` changes its offset (to the second)."""
    before = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if high.microsecond else high


def _offset(tz: ZoneInfo, at: datetime) -> timedelta:
    offset = tz.utcoffset(at)
    return offset if offset is not None else timedelta(0)


class WeeklyWindows:
    """One person's availability, prepared once for converting many weeks."""

    __slots__ = ("availability", "pattern", "tz")

    def __init__(self, availability: Availability) -> None:
        self.availability = availability
        self.tz = zone(availability.time_zone)
        self.pattern = _weekly_pattern(availability)

    def spans(self, first: date, last: date) -> list[Span]:
        """The windows on local dates `first`..`last`, as merged UTC spans."""
        before = _offset(self.tz, datetime.combine(first, time(), tzinfo=None))
        after = _offset(self.tz, datetime.combine(last + ONE_DAY, time(), tzinfo=None))
        if before == after:
            return _steady_spans(self.pattern, first, last, before)
        return exact_spans(self.availability, first, last)


def spans_on(availability: Availability, first: date, last: date) -> list[Span]:
    """The person's windows on their local dates `first`..`last`, as merged UTC spans."""
    return WeeklyWindows(availability).spans(first, last)


def exact_spans(availability: Availability, first: date, last: date) -> list[Span]:
    """The reference conversion: every slot on every date through `zoneinfo`."""
    tz = zone(availability.time_zone)
    spans = []
    day = first
    while day <= last:
        for slot in availability.slots:
            if slot.weekday == day.weekday():
                start = local_instant(day, slot.start, tz, opening=True)
                end = local_instant(day, slot.end, tz, opening=False)
                if start < end:
                    spans.append(Span(start, end))
        day += ONE_DAY
    return merged(spans)


def _steady_spans(pattern: Pattern, first: date, last: date, offset: timedelta) -> list[Span]:
    """Dates without an offset change in between (the common case): plain arithmetic.

    Zones change offset at most twice a year, never twice within the few days looked at, so
    equal offsets at both ends of the range mean one offset throughout.
    """
    spans = []
    day = first
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - offset
        for start, end in pattern[day.weekday()]:
            spans.append(Span(midnight + start, midnight + end))
        day += ONE_DAY
    return merged(spans)


Pattern = tuple[tuple[tuple[timedelta, timedelta], ...], ...]
"""Per weekday (Monday first), the windows as offsets from local midnight."""


def _weekly_pattern(availability: Availability) -> Pattern:
    by_day: list[list[tuple[timedelta, timedelta]]] = [[] for _ in range(7)]
    for slot in availability.slots:
        by_day[slot.weekday].append((_since_midnight(slot.start), _since_midnight(slot.end)))
    return tuple(tuple(sorted(day)) for day in by_day)


def _since_midnight(at: time) -> timedelta:
    return timedelta(
        hours=at.hour, minutes=at.minute, seconds=at.second, microseconds=at.microsecond
    )


def within_local_window(availability: Availability, span: Span) -> bool:
    """Whether `span` lies inside the person's windows, read on their own clock and dates (the
    check the property tests and the reschedule rule use; it takes the reference path)."""
    day = span.start.astimezone(zone(availability.time_zone)).date()
    return any(w.contains(span) for w in exact_spans(availability, day - ONE_DAY, day + ONE_DAY))
