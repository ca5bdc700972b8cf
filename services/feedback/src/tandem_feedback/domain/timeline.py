"""When things fall due in a pair's life, from its start and planned end.

All instants are UTC. A pair starts when it was created or on its program's first day,
whichever is later; it is planned to end at the end of its last day (00:00 UTC after
`ends_on`). The baseline assessment opens at the start, the midpoint at half the planned
duration, the final when the pair ends (at its planned end, or earlier when it ends early or
its program closes). The Mentoring Quality Score is asked on day 30 and then every 60 days
while the pair runs; the Net Promoter Score at its end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

MQS_FIRST = timedelta(days=30)
MQS_EVERY = timedelta(days=60)


def pair_start(starts_on: date, created_at: datetime) -> datetime:
    return max(datetime.combine(starts_on, time(0), UTC), created_at)


def planned_end(ends_on: date) -> datetime:
    return datetime.combine(ends_on + timedelta(days=1), time(0), UTC)


def midpoint(start: datetime, end: datetime) -> datetime:
    return start + (end - start) / 2


def mqs_openings(start: datetime, end: datetime) -> list[datetime]:
    """Day 30 from the start, then every 60 days, while before the planned end."""
    openings: list[datetime] = []
    at = start + MQS_FIRST
    while at < end:
        openings.append(at)
        at += MQS_EVERY
    return openings
