"""Spans of UTC time and the few set operations placement needs, exact to the microsecond."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple


class Span(NamedTuple):
    """[start, end) in UTC (a tuple: compared and sorted at C speed, placement does it a lot)."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    def collides(self, other: Span, buffer: timedelta = timedelta(0)) -> bool:
        """Overlaps `other`, or comes closer to it than `buffer`."""
        return self.start < other.end + buffer and other.start < self.end + buffer


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    result: list[Span] = []
    for span in sorted(spans):
        if result and span.start <= result[-1].end:
            if span.end > result[-1].end:
                result[-1] = Span(result[-1].start, span.end)
        else:
            result.append(span)
    return result


def intersection(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The common parts of two merged, sorted span lists."""
    result: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i].start, b[j].start), min(a[i].end, b[j].end)
        if start < end:
            result.append(Span(start, end))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return result


def without(spans: Sequence[Span], busy: Iterable[Span], buffer: timedelta) -> list[Span]:
    """`spans` minus every busy span widened by `buffer` on both sides."""
    blocked = merged(Span(b.start - buffer, b.end + buffer) for b in busy)
    result: list[Span] = []
    for span in spans:
        start = span.start
        for block in blocked:
            if block.end <= start or block.start >= span.end:
                continue
            if block.start > start:
                result.append(Span(start, block.start))
            start = max(start, block.end)
        if start < span.end:
            result.append(Span(start, span.end))
    return result


def clipped(spans: Iterable[Span], within: Span) -> list[Span]:
    result = []
    for span in spans:
        start, end = max(span.start, within.start), min(span.end, within.end)
        if start < end:
            result.append(Span(start, end))
    return result
