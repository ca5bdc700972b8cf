"""Properties of placement over random availabilities, zones (DST north and south, half and
quarter-hour offsets), cadences and shared people: every session inside both people's local
windows on its date, at most 60 minutes, nobody double-booked, and the same plan every time."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tandem_contracts.values import Availability, Weekday, WeeklySlot
from tandem_scheduling.domain.availability import exact_spans, spans_on, within_local_window
from tandem_scheduling.domain.calendar import BusyCalendar, windows_in
from tandem_scheduling.domain.series import Person, Series
from tandem_scheduling.domain.spans import intersection
from tandem_scheduling.domain.weeks import series_weeks

from .builders import one_to_one

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kolkata",  # +5:30
    "Asia/Kathmandu",  # +5:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -3:30 / -2:30
    "America/Sao_Paulo",
    "UTC",
)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


@st.composite
def availabilities(draw: st.DrawFn) -> Availability:
    slots = []
    for _ in range(draw(st.integers(1, 8))):
        start = draw(st.one_of(st.integers(0, 23 * 60), st.integers(60, 180)))  # DST hours
        length = draw(st.integers(15, 6 * 60))
        end = min(start + length, 24 * 60 - 1)
        slots.append(
            WeeklySlot(
                weekday=Weekday(draw(st.integers(0, 6))),
                start=time(start // 60, start % 60),
                end=time(end // 60, end % 60),
            )
        )
    return Availability(time_zone=draw(st.sampled_from(ZONES)), slots=tuple(slots))


@st.composite
def programs(draw: st.DrawFn) -> tuple[list[Series], timedelta]:
    """Up to five people in up to five 1:1 series (a mentor may have two mentees, and a mentee
    may be another pair's mentor), starting near DST switches across 2027."""
    people = [
        Person(employee_id=f"e{i}", availability=draw(availabilities()))
        for i in range(draw(st.integers(2, 5)))
    ]
    series = []
    for n in range(draw(st.integers(1, 5))):
        mentor, mentee = draw(
            st.lists(st.sampled_from(people), min_size=2, max_size=2, unique=True)
        )
        starts_on = date(2027, 1, 1) + timedelta(days=draw(st.integers(0, 340)))
        series.append(
            one_to_one(
                f"p{n}",
                mentor,
                mentee,
                starts_on=starts_on,
                ends_on=starts_on + timedelta(days=draw(st.integers(6, 70))),
                minutes=draw(st.integers(15, 60)),
                cadence=draw(st.integers(1, 3)),
            )
        )
    return series, timedelta(minutes=draw(st.sampled_from([0, 5, 10, 30])))


def on_the_wall_clock(availability: Availability, start: datetime, end: datetime) -> bool:
    """The independent check: read every minute of the session (and its last instant) on the
    person's own clock; each must fall on the same local date inside a window of that weekday
    (touching slots joined). Wall time is not monotonic across a DST change, so no shortcut."""
    tz = ZoneInfo(availability.time_zone)
    instants = [
        start + timedelta(minutes=m) for m in range(int((end - start).total_seconds() // 60))
    ]
    readings = [i.astimezone(tz) for i in [*instants, end - timedelta(microseconds=1)]]
    if len({r.date() for r in readings}) != 1:
        return False
    windows: list[list[time]] = []
    day = [s for s in availability.slots if s.weekday == readings[0].weekday()]
    for slot in sorted(day, key=lambda s: (s.start, s.end)):
        if windows and slot.start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], slot.end)
        else:
            windows.append([slot.start, slot.end])
    return all(any(low <= r.time() < high for low, high in windows) for r in readings)


def plan_all(series: list[Series], buffer: timedelta) -> list[Series]:
    calendar = BusyCalendar(buffer)
    return [s.plan(calendar, LONG_AGO) for s in series]


@settings(max_examples=150, deadline=None)
@given(programs())
def test_every_session_fits_both_people_and_nobody_is_double_booked(
    program: tuple[list[Series], timedelta],
) -> None:
    series, buffer = program
    planned = plan_all(series, buffer)
    booked: dict[str, list[tuple[datetime, datetime]]] = {}
    for one in planned:
        mentee = one.pairs[0].mentee
        weeks = {w.sequence: w for w in series_weeks(one.starts_on, one.ends_on, one.cadence_weeks)}
        assert [w.sequence for w in one.planned] == sorted(weeks)
        for week in one.planned:
            span = week.span
            window = weeks[week.sequence].span(one.mentor.availability.time_zone)
            common = intersection(
                windows_in(one.mentor.availability, window),
                windows_in(mentee.availability, window),
            )
            if span is None:
                [unplaced] = week.unplaced
                if unplaced.reason.value == "no_common_time":
                    assert all(c.length < one.length for c in common)
                continue
            assert span.length == one.length <= timedelta(minutes=60)
            assert window.contains(span)
            for member in (one.mentor, mentee):
                assert within_local_window(member.availability, span)
                assert on_the_wall_clock(member.availability, span.start, span.end)
            for who in (one.mentor.employee_id, mentee.employee_id):
                booked.setdefault(who, []).append((span.start, span.end))
    for spans in booked.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end + buffer


@settings(max_examples=60, deadline=None)
@given(programs())
def test_placement_is_deterministic(program: tuple[list[Series], timedelta]) -> None:
    series, buffer = program
    assert plan_all(series, buffer) == plan_all(series, buffer)


@settings(max_examples=300, deadline=None)
@given(availabilities(), st.integers(0, 365), st.integers(0, 9))
def test_the_fast_path_agrees_with_zoneinfo_on_every_date(
    availability: Availability, offset: int, length: int
) -> None:
    first = date(2027, 1, 1) + timedelta(days=offset)
    last = first + timedelta(days=length)
    assert spans_on(availability, first, last) == exact_spans(availability, first, last)
