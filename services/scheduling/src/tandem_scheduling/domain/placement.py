"""Where one meeting goes in one week: inside every required person's free windows, fitting
as many of the optional people as possible, as close as possible to the preferred time, on a
whole minute.

Pure and deterministic: the same inputs give the same instant, to the microsecond.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tandem_scheduling.domain.spans import Span, intersection


@dataclass(frozen=True)
class Placement:
    span: Span
    fits: frozenset[int]
    """Indexes of the optional people the meeting fits."""


def place(
    required: Sequence[Sequence[Span]],
    optional: Sequence[Sequence[Span]],
    length: timedelta,
    prefer: datetime | None,
) -> Placement | None:
    """The best start: required people all free (their free spans given merged and sorted),
    then most optional people free, then nearest to `prefer` (earliest when None), then
    earliest. None when the required people share no span of `length`."""
    if not required:
        return None
    common: list[Span] = list(required[0])
    for spans in required[1:]:
        common = intersection(common, spans)
    regions = [Span(c.start, c.end - length) for c in common if c.length >= length]
    if not regions:
        return None
    if not optional:  # everyone is required (1:1, shadowing): the nearest feasible start
        starts = [
            start
            for r in regions
            if (start := whole_minute(min(max(prefer, r.start), r.end) if prefer else r.start))
            <= r.end
        ]
        if not starts:
            return None
        start = min(starts, key=lambda t: (abs(t - prefer) if prefer else timedelta(0), t))
        return Placement(Span(start, start + length), frozenset())
    best: tuple[tuple[int, timedelta, datetime], Placement] | None = None
    for region in regions:
        for start in _candidates(region, optional, length, prefer):
            meeting = Span(start, start + length)
            fits = frozenset(
                i for i, spans in enumerate(optional) if any(s.contains(meeting) for s in spans)
            )
            distance = abs(start - prefer) if prefer is not None else timedelta(0)
            key = (-len(fits), distance, start)
            if best is None or key < best[0]:
                best = (key, Placement(meeting, fits))
    return best[1] if best is not None else None


def _candidates(
    region: Span,
    optional: Sequence[Sequence[Span]],
    length: timedelta,
    prefer: datetime | None,
) -> list[datetime]:
    """Start instants where the best choice within `region` (the feasible starts, inclusive)
    can lie: its ends, the optional people's window edges, and the preferred time clamped into
    each stretch between those edges."""
    edges = {region.start, region.end}
    for spans in optional:
        for span in spans:
            for edge in (span.start, span.end - length):
                if region.start <= edge <= region.end:
                    edges.add(edge)
    points = sorted(edges)
    candidates = set(points)
    if prefer is not None:
        for low, high in itertools.pairwise(points):
            candidates.add(min(max(prefer, low), high))
        candidates.add(min(max(prefer, region.start), region.end))
    return sorted(c for c in {whole_minute(c) for c in candidates} if c <= region.end)


def whole_minute(at: datetime) -> datetime:
    """`at`, or the next whole minute: sessions start on the minute, never at 10:37:12.3."""
    if at.second or at.microsecond:
        return at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return at
