"""Weekly availability, in each person's own time zone, as UTC minutes of the week.

Two forms, both with Monday 00:00 UTC as minute 0 and a week that wraps around:

- **exact**: per DST regime of the program, the person's free time as sorted, merged
  intervals of whole UTC minutes (slots rounded inwards to the minute). Feasibility (a common
  free run of the program's minimum length) and "common minutes" are computed on these, in
  every regime the program crosses.
- **coarse**: a bitset of the 336 UTC half-hours touched by any regime's free time (rounded
  outwards). It never misses a common run, so the engine uses it to skip whole blocks and most
  pairs cheaply before the exact check.

A regime is a stretch of the program in which no participant's UTC offset changes: a program
from March to October in Paris and Tokyo has two (before and after Europe's switch).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tandem_contracts.values import Availability

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
WEEK_SLOTS = 7 * SLOTS_PER_DAY
FULL_WEEK = (1 << WEEK_SLOTS) - 1
WORDS = (WEEK_SLOTS + 63) // 64


WEEK_MINUTES = 7 * 24 * 60
Intervals = tuple[tuple[int, int], ...]
"""Sorted, merged, non-wrapping [start, end) minute ranges of one week (0 = Monday 00:00 UTC)."""


def to_utc_bitset(availability: Availability, reference: date) -> int:
    """The coarse form for the week containing `reference` (outward to whole half-hours)."""
    return coarse_bitset((utc_intervals(availability, reference),))


def regimes(time_zones: Iterable[str], starts_on: date, ends_on: date) -> tuple[date, ...]:
    """The first day of each stretch of [starts_on, ends_on] in which none of `time_zones`
    changes its UTC offset (offsets read at noon: switches happen at night)."""
    zones = [ZoneInfo(z) for z in sorted(set(time_zones))]

    def offsets(day: date) -> tuple[timedelta | None, ...]:
        noon = datetime.combine(day, time(12))
        return tuple(noon.replace(tzinfo=z).utcoffset() for z in zones)

    firsts = [starts_on]
    current = offsets(starts_on)
    day = starts_on + timedelta(days=1)
    while day <= ends_on:
        found = offsets(day)
        if found != current:
            firsts.append(day)
            current = found
        day += timedelta(days=1)
    return tuple(firsts)


def utc_intervals(availability: Availability, regime: date) -> Intervals:
    """The exact form in one regime: every local slot shifted by the offset in force then."""
    zone = ZoneInfo(availability.time_zone)
    offset = datetime.combine(regime, time(12)).replace(tzinfo=zone).utcoffset()
    shift = int(offset.total_seconds() // 60) if offset is not None else 0
    pieces: list[tuple[int, int]] = []
    for slot in availability.slots:
        day = int(slot.weekday) * 24 * 60
        start = day + _ceil_minute(slot.start) - shift
        end = day + _floor_minute(slot.end) - shift
        if end <= start:
            continue
        lo, hi = start % WEEK_MINUTES, (end - 1) % WEEK_MINUTES + 1
        pieces += [(lo, hi)] if lo < hi else [(lo, WEEK_MINUTES), (0, hi)]
    return merge(pieces)


def merge(pieces: Iterable[tuple[int, int]]) -> Intervals:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(pieces):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def coarse_bitset(per_regime: Iterable[Intervals]) -> int:
    """Every half-hour that any regime's free time touches."""
    bits = 0
    for intervals in per_regime:
        for lo, hi in intervals:
            for index in range(lo // SLOT_MINUTES, -(-hi // SLOT_MINUTES)):
                bits |= 1 << (index % WEEK_SLOTS)
    return bits


def bitset_intervals(bits: int) -> Intervals:
    """The exact form of a half-hour bitset (for callers that only have the coarse form)."""
    return merge(
        (s * SLOT_MINUTES, (s + 1) * SLOT_MINUTES) for s in range(WEEK_SLOTS) if bits >> s & 1
    )


def common(a: Intervals, b: Intervals) -> tuple[int, int]:
    """(total common minutes, longest common run) of two weeks, the run wrapping Sunday to
    Monday. Pure Python twin of the kernel's check, for explanations and tests."""
    pieces = merge(
        (max(x0, y0), min(x1, y1)) for x0, x1 in a for y0, y1 in b if max(x0, y0) < min(x1, y1)
    )
    total = sum(hi - lo for lo, hi in pieces)
    runs = [hi - lo for lo, hi in pieces]
    if len(pieces) > 1 and pieces[0][0] == 0 and pieces[-1][1] == WEEK_MINUTES:
        runs.append(runs[0] + runs[-1])
    return total, max(runs, default=0)


def _ceil_minute(t: time) -> int:
    return t.hour * 60 + t.minute + (1 if (t.second or t.microsecond) else 0)


def _floor_minute(t: time) -> int:
    return t.hour * 60 + t.minute


def rotate_down(bits: int, by: int) -> int:
    """Bit s of the result is bit s+by of `bits`, cyclically over the week."""
    by %= WEEK_SLOTS
    return ((bits >> by) | (bits << (WEEK_SLOTS - by))) & FULL_WEEK


def run_starts(bits: int, length: int) -> int:
    """Slots where `length` consecutive free half-hours begin.

    Two people share such a run exactly when their run-start sets intersect.
    """
    runs = bits
    for k in range(1, length):
        runs &= rotate_down(bits, k)
    return runs


def to_words(bits: int) -> list[int]:
    return [(bits >> (64 * w)) & 0xFFFFFFFFFFFFFFFF for w in range(WORDS)]


def common_minutes(a: int, b: int) -> int:
    return (a & b).bit_count() * SLOT_MINUTES


def slots_needed(minutes: int) -> int:
    return max(1, -(-minutes // SLOT_MINUTES))
