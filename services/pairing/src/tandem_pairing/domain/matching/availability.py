"""Weekly availability, in each person's own time zone, as a bitset of UTC half-hours.

A week has 336 half-hours; bit 0 is Monday 00:00-00:30 UTC and the week wraps around. Local
slots are placed on the calendar week that contains `reference` (the program's start), so the
UTC offset is the one in force then; slots are rounded inwards to whole half-hours.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tandem_contracts.values import Availability

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
WEEK_SLOTS = 7 * SLOTS_PER_DAY
FULL_WEEK = (1 << WEEK_SLOTS) - 1
WORDS = (WEEK_SLOTS + 63) // 64
_UTC = ZoneInfo("UTC")


def to_utc_bitset(availability: Availability, reference: date) -> int:
    zone = ZoneInfo(availability.time_zone)
    monday = reference - timedelta(days=reference.weekday())
    bits = 0
    for slot in availability.slots:
        day = monday + timedelta(days=int(slot.weekday))
        start = datetime.combine(day, slot.start, zone)
        end = datetime.combine(day, slot.end, zone)
        bits |= _utc_range(start.astimezone(_UTC), end.astimezone(_UTC), monday)
    return bits


def _utc_range(start: datetime, end: datetime, monday: date) -> int:
    week_start = datetime.combine(monday, datetime.min.time(), _UTC)
    first = -(-int((start - week_start).total_seconds()) // (SLOT_MINUTES * 60))  # round up
    last = int((end - week_start).total_seconds()) // (SLOT_MINUTES * 60)  # round down
    bits = 0
    for index in range(first, last):
        bits |= 1 << (index % WEEK_SLOTS)
    return bits


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
