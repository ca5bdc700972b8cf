"""Named daylight-saving cases: the zones switch on different dates (or the other way round,
or by a quarter hour), and no session may leave either person's window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tandem_contracts.values import Weekday
from tandem_scheduling.domain.availability import exact_spans, within_local_window
from tandem_scheduling.domain.calendar import BusyCalendar
from tandem_scheduling.domain.series import Series

from .builders import one_to_one, person, windows

BEFORE = datetime(2026, 12, 1, tzinfo=UTC)


def planned(series: Series) -> Series:
    return series.plan(BusyCalendar(timedelta(minutes=10)), BEFORE)


def local(at: datetime | None, zone: str) -> str:
    assert at is not None
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %a %H:%M")


def assert_inside_both(series: Series) -> None:
    for week in series.planned:
        span = week.span
        if span is None:
            continue
        assert span.length == timedelta(minutes=series.session_minutes)
        assert within_local_window(series.mentor.availability, span), week
        assert within_local_window(series.pairs[0].mentee.availability, span), week


def test_berlin_and_new_york_in_march_keep_the_berlin_time_and_move_only_the_gap_weeks() -> None:
    """The US switches on 14 March 2027, the EU on 28 March: for two weeks New York is only
    five hours behind Berlin. Berlin 14:00-17:00 and New York 08:00-10:00 overlap 14:00-16:00
    Berlin (08:00-10:00 NY) in normal weeks, 14:00-15:00 Berlin (09:00-10:00 NY) in the gap."""
    mentor = person("berlin", windows("Europe/Berlin", (14, 0), (17, 0)))
    mentee = person("nyc", windows("America/New_York", (8, 0), (10, 0)))
    series = planned(
        one_to_one("p", mentor, mentee, starts_on=date(2027, 3, 1), ends_on=date(2027, 4, 16))
    )
    assert_inside_both(series)
    berlin = {w.first: local(w.starts_at, "Europe/Berlin") for w in series.planned}
    assert berlin[date(2027, 3, 8)] == "2027-03-08 Mon 14:00"
    assert berlin[date(2027, 3, 15)] == "2027-03-15 Mon 14:00"  # 09:00 in New York now
    assert berlin[date(2027, 3, 22)] == "2027-03-22 Mon 14:00"
    assert berlin[date(2027, 3, 29)] == "2027-03-29 Mon 14:00"
    new_york = {w.first: local(w.starts_at, "America/New_York") for w in series.planned}
    assert new_york[date(2027, 3, 8)] == "2027-03-08 Mon 08:00"
    assert new_york[date(2027, 3, 15)] == "2027-03-15 Mon 09:00"
    assert new_york[date(2027, 3, 29)] == "2027-03-29 Mon 08:00"


def test_berlin_and_new_york_in_march_move_only_the_weeks_that_no_longer_fit() -> None:
    """New York only 08:00-09:00: in the gap weeks 14:00 Berlin is 09:00 New York, outside.
    Those weeks move to the nearest fit, 13:15 Berlin (08:15 New York: 45 minutes ending at
    09:00, exact minutes); the others stay at 14:00."""
    mentor = person("berlin", windows("Europe/Berlin", (12, 0), (17, 0)))
    mentee = person("nyc", windows("America/New_York", (8, 0), (9, 0)))
    series = planned(
        one_to_one("p", mentor, mentee, starts_on=date(2027, 3, 1), ends_on=date(2027, 4, 16))
    )
    assert_inside_both(series)
    berlin = [local(w.starts_at, "Europe/Berlin")[-5:] for w in series.planned]
    assert berlin == ["14:00", "14:00", "13:15", "13:15", "14:00", "14:00", "14:00"]
    new_york = [local(w.starts_at, "America/New_York")[-5:] for w in series.planned]
    assert new_york == ["08:00", "08:00", "08:15", "08:15", "08:00", "08:00", "08:00"]


def test_berlin_and_new_york_in_autumn_one_week_apart() -> None:
    """The EU falls back on 31 October 2027, the US on 7 November: one week with New York
    only five hours behind."""
    mentor = person("berlin", windows("Europe/Berlin", (15, 0), (16, 0)))
    mentee = person("nyc", windows("America/New_York", (9, 0), (11, 0)))
    series = planned(
        one_to_one("p", mentor, mentee, starts_on=date(2027, 10, 18), ends_on=date(2027, 11, 19))
    )
    assert_inside_both(series)
    by_week = {w.first: w for w in series.planned}
    assert local(by_week[date(2027, 10, 25)].starts_at, "America/New_York")[-5:] == "09:00"
    assert local(by_week[date(2027, 11, 1)].starts_at, "America/New_York")[-5:] == "10:00"
    assert local(by_week[date(2027, 11, 8)].starts_at, "America/New_York")[-5:] == "09:00"
    assert {local(w.starts_at, "Europe/Berlin")[-5:] for w in series.planned} == {"15:00"}


def test_sydney_and_london_switch_in_opposite_directions() -> None:
    """London enters summer time on 28 March 2027, Sydney leaves it on 4 April: London
    evenings 20:00-22:00 are Sydney mornings 07:00-09:00, then 06:00-08:00, then 05:00-07:00.
    With Sydney free 06:00-09:00 the series keeps 07:00 Sydney while it fits, then moves to
    the nearest fit (06:15, ending 07:00) once only an hour overlaps."""
    mentor = person("sydney", windows("Australia/Sydney", (6, 0), (9, 0)))
    mentee = person("london", windows("Europe/London", (20, 0), (22, 0)))
    series = planned(
        one_to_one("p", mentor, mentee, starts_on=date(2027, 3, 15), ends_on=date(2027, 4, 25))
    )
    assert_inside_both(series)
    sydney = [local(w.starts_at, "Australia/Sydney")[-5:] for w in series.planned]
    london = [local(w.starts_at, "Europe/London")[-5:] for w in series.planned]
    assert sydney == ["07:00", "07:00", "07:00", "06:15", "06:15", "06:15"]
    assert london == ["20:00", "20:00", "21:00", "21:15", "21:15", "21:15"]


def test_kathmandu_quarter_hour_offset_with_paris() -> None:
    """Kathmandu is UTC+5:45 all year; Paris moves from +1 to +2 on 28 March 2027. Exact
    minutes: Paris 09:00-10:00 is Kathmandu 13:45-14:45 in winter, 12:45-13:45 in summer."""
    mentor = person("kathmandu", windows("Asia/Kathmandu", (13, 45), (14, 45)))
    mentee = person("paris", windows("Europe/Paris", (9, 0), (10, 0)))
    winter = planned(
        one_to_one(
            "p", mentor, mentee, minutes=60, starts_on=date(2027, 3, 15), ends_on=date(2027, 4, 9)
        )
    )
    assert_inside_both(winter)
    placed = {w.first: w.span for w in winter.planned}
    assert placed[date(2027, 3, 15)] is not None
    assert local(winter.planned[0].starts_at, "Asia/Kathmandu")[-5:] == "13:45"
    assert local(winter.planned[0].starts_at, "Europe/Paris")[-5:] == "09:00"
    assert placed[date(2027, 3, 29)] is None  # summer: the windows only touch
    [gap] = [w for w in winter.planned if w.first == date(2027, 3, 29)]
    assert gap.unplaced[0].reason.value == "no_common_time"


def test_a_window_edge_in_the_skipped_or_repeated_hour_is_read_conservatively() -> None:
    """Berlin skips 02:00-03:00 on 28 March 2027 and repeats it on 31 October 2027. A window
    that ends in the skipped hour ends when the clock jumps; one that starts in the repeated
    hour starts at its second reading, so no session can fall outside it on anyone's reading."""
    spring = windows("Europe/Berlin", (1, 0), (2, 30), (Weekday.SUNDAY,))
    [span] = exact_spans(spring, date(2027, 3, 28), date(2027, 3, 28))
    assert (span.start, span.end) == (
        datetime(2027, 3, 28, 0, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
    )
    autumn = windows("Europe/Berlin", (2, 15), (4, 0), (Weekday.SUNDAY,))
    [span] = exact_spans(autumn, date(2027, 10, 31), date(2027, 10, 31))
    assert span.start == datetime(2027, 10, 31, 1, 15, tzinfo=UTC)  # 02:15 CET, not CEST
    inside_repeat = windows("Europe/Berlin", (2, 0), (2, 30), (Weekday.SUNDAY,))
    assert exact_spans(inside_repeat, date(2027, 10, 31), date(2027, 10, 31)) == []
