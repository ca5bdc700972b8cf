"""Where every timestamp comes from: the system clock in production, a settable one in tests.

Use cases read time only through the unit of work's clock, so a test can pin "now" (a pair
activated on a given day, a program that starts next week) and dates are always UTC, never the
host's local time. A demo or test run of the whole platform shares a `SimulatedClock` instead.
Infrastructure time stays on the system clock on purpose: the outbox lease is compared across
processes, token expiry is the issuer's, and `published_at` / `tandem_dlq_failed_at` record when
something really happened.
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
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


class SimulatedClock:
    """Simulated time shared by every service of a demo or test run on one machine.

    The scenario writes an ISO-8601 instant to one file (`set_simulated_time`, an atomic
    rename) and every service reads it: twelve weeks of a program pass in minutes, and every
    time-driven rule fires on that time. The file (a few bytes) is read on every call, so a
    change is never missed; the clock never goes back (an earlier instant is ignored), and an
    unreadable file keeps the last time read. The settings refuse it under the production Kafka
    profile.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._now = read_simulated_time(path)

    def now(self) -> datetime:
        # An unreadable file (being written by hand, say) keeps the last time read.
        with contextlib.suppress(ValueError):
            self._now = max(self._now, read_simulated_time(self.path))
        return self._now

    def today(self) -> date:
        return self.now().date()


def read_simulated_time(path: Path) -> datetime:
    """The instant in the clock file; a clear error if it is missing, naive or not a time."""
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise ValueError(f"the simulated clock file {path} cannot be read: {exc}") from exc
    try:
        at = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"the simulated clock file {path} holds no ISO-8601 instant") from exc
    if at.tzinfo is None:
        raise ValueError(f"the simulated clock file {path} holds a time without a UTC offset")
    return at.astimezone(UTC)


def set_simulated_time(path: Path, at: datetime) -> None:
    """Move the shared simulated clock to `at` (services see it on their next reading)."""
    if at.tzinfo is None:
        raise ValueError("simulated time is UTC-aware")
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    staged.write_text(at.astimezone(UTC).isoformat())
    os.replace(staged, path)
