"""Where every timestamp comes from: the system clock in production, a settable one in tests.

Use cases read time only through the unit of work's clock, so a test can pin "now" (a pair
activated on a given day, a program that starts next week) and dates are always UTC, never the
host's local time. Infrastructure time stays on the system clock on purpose: the outbox lease
is compared across processes, and `published_at` / `tandem_dlq_failed_at` record when
something really happened.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...

    def today(self) -> date:
        """Today's date in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


class FakeClock:
    """A clock that stands still until told otherwise."""

    def __init__(self, at: datetime | None = None) -> None:
        self._now = (at or datetime(2026, 1, 1, tzinfo=UTC)).astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def today(self) -> date:
        return self._now.date()

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the fake clock keeps UTC-aware time")
        self._now = at.astimezone(UTC)

    def advance(self, by: timedelta) -> None:
        self._now += by
