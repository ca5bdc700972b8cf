"""Who is busy when: every person's sessions and planned meetings, as placement sees them."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import timedelta

from tandem_contracts.values import Availability
from tandem_scheduling.domain.availability import WeeklyWindows
from tandem_scheduling.domain.spans import Span, clipped, without
from tandem_scheduling.domain.weeks import local_date_range

LONGEST_SESSION = timedelta(hours=1)


class BusyCalendar:
    """Busy spans per person (sorted), plus the buffer kept between two sessions of one person.

    Placement adds what it places, so the series planned in one batch never overlap.
    """

    def __init__(self, buffer: timedelta = timedelta(0)) -> None:
        self.buffer = buffer
        self._busy: dict[str, list[Span]] = {}

    def add(self, person: str, span: Span) -> None:
        bisect.insort(self._busy.setdefault(person, []), span)

    def add_all(self, entries: Iterable[tuple[str, Span]]) -> None:
        for person, span in entries:
            self.add(person, span)

    def remove(self, person: str, span: Span) -> None:
        spans = self._busy.get(person, [])
        at = bisect.bisect_left(spans, span)
        if at < len(spans) and spans[at] == span:
            del spans[at]

    def busy_during(self, person: str, window: Span) -> list[Span]:
        spans = self._busy.get(person, [])
        reach = self.buffer + LONGEST_SESSION
        low = bisect.bisect_left(spans, Span(window.start - reach, window.start - reach))
        result = []
        for span in spans[low:]:
            if span.start >= window.end + self.buffer:
                break
            if span.collides(window, self.buffer):
                result.append(span)
        return result

    def collisions(self, person: str, span: Span) -> list[Span]:
        return [b for b in self.busy_during(person, span) if b.collides(span, self.buffer)]


def windows_in(availability: Availability | WeeklyWindows, window: Span) -> list[Span]:
    """The person's availability inside `window` (UTC), whatever their zone."""
    prepared = _prepared(availability)
    first, last = local_date_range(window, prepared.availability.time_zone)
    return clipped(prepared.spans(first, last), window)


def free_in(
    person: str,
    availability: Availability | WeeklyWindows,
    window: Span,
    calendar: BusyCalendar,
) -> tuple[list[Span], list[Span]]:
    """(their windows, the part of them free of other sessions) inside `window`."""
    windows = windows_in(availability, window)
    return windows, without(windows, calendar.busy_during(person, window), calendar.buffer)


def _prepared(availability: Availability | WeeklyWindows) -> WeeklyWindows:
    return availability if isinstance(availability, WeeklyWindows) else WeeklyWindows(availability)
