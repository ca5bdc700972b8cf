"""Matching rules on hand-made cases: time zones, reporting lines, reasons, pins, self-match."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time

import pytest

from tandem_contracts.values import Availability, Weekday, WeeklySlot
from tandem_pairing.domain.matching import (
    InvalidPin,
    MatchingProblem,
    MatchingRules,
    MatchingWeights,
    Objective,
    Participant,
    Pin,
    UnmatchedReason,
    breakdown,
    match,
    suggest_mentees,
    suggest_mentors,
)
from tandem_pairing.domain.matching.availability import (
    WEEK_SLOTS,
    coarse_bitset,
    regimes,
    run_starts,
    to_utc_bitset,
    utc_intervals,
)
from tandem_pairing.domain.participants import reporting_chain

WINTER = date(2027, 1, 11)
SUMMER = date(2027, 7, 12)
ALWAYS = (1 << WEEK_SLOTS) - 1


def monday(tz: str, start: int, end: int) -> Availability:
    return Availability(
        time_zone=tz, slots=(WeeklySlot(weekday=Weekday.MONDAY, start=time(start), end=time(end)),)
    )


def person(eid: str, level: int, topics: dict[str, int], **changes: object) -> Participant:
    base = Participant(
        enrollment_id=f"en-{eid}",
        employee_id=eid,
        department="D",
        team=None,
        manager_id=None,
        reporting_chain=(),
        job_level=level,
        birth_year=None,
        languages=frozenset({"en"}),
        availability_utc=ALWAYS,
        topics=topics,
        capacity=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_local_hours_become_utc_with_the_offset_of_the_program_start() -> None:
    berlin_winter = to_utc_bitset(monday("Europe/Berlin", 9, 10), WINTER)
    berlin_summer = to_utc_bitset(monday("Europe/Berlin", 9, 10), SUMMER)
    assert berlin_winter == (1 << 16) | (1 << 17)  # 08:00-09:00 UTC
    assert berlin_summer == (1 << 14) | (1 << 15)  # 07:00-08:00 UTC
    new_york = to_utc_bitset(monday("America/New_York", 9, 10), WINTER)
    assert new_york == (1 << 28) | (1 << 29)  # 14:00-15:00 UTC


def test_monday_morning_in_tokyo_is_sunday_in_utc_and_runs_wrap_the_week() -> None:
    tokyo = to_utc_bitset(monday("Asia/Tokyo", 7, 9), WINTER)  # Sunday 22:00-24:00 UTC
    assert tokyo == sum(1 << s for s in range(WEEK_SLOTS - 4, WEEK_SLOTS))
    sunday_night_to_monday = (1 << (WEEK_SLOTS - 1)) | 1
    assert run_starts(sunday_night_to_monday, 2) == 1 << (WEEK_SLOTS - 1)


def test_people_an_ocean_apart_have_no_common_time() -> None:
    mentor = person(
        "m", 1, {"ai": 5}, availability_utc=to_utc_bitset(monday("Asia/Tokyo", 9, 12), WINTER)
    )
    mentee = person(
        "e",
        5,
        {"ai": 5},
        availability_utc=to_utc_bitset(monday("America/Los_Angeles", 9, 12), WINTER),
    )
    result = match(MatchingProblem((mentor,), (mentee,)))
    assert result.pairs == ()
    assert {(u.role, u.reason) for u in result.unmatched} == {
        ("mentee", UnmatchedReason.NO_COMMON_TIME),
        ("mentor", UnmatchedReason.NO_COMMON_TIME),
    }


def local(tz: str, *windows: tuple[time, time]) -> Availability:
    return Availability(
        time_zone=tz,
        slots=tuple(WeeklySlot(weekday=Weekday.MONDAY, start=a, end=b) for a, b in windows),
    )


def exactly(
    eid: str, level: int, availability: Availability, spans: tuple[date, ...]
) -> Participant:
    """A person as the service builds them: exact UTC minutes in each of the program's regimes."""
    free = tuple(utc_intervals(availability, r) for r in spans)
    return person(eid, level, {"ai": 5}, availability_utc=coarse_bitset(free), free_minutes=free)


@pytest.mark.parametrize(
    ("mentor_hours", "mentee_hours"),
    [
        (local("Europe/Berlin", (time(9, 15), time(10, 15))),) * 2,
        (
            local("Europe/Berlin", (time(9, 15), time(9, 45)), (time(9, 45), time(10, 15))),
            local("Europe/Berlin", (time(9, 15), time(10, 15))),
        ),
        (  # +5:45: 15:00-16:00 in Kathmandu is 09:15-10:15 UTC, as in London in winter
            local("Asia/Kathmandu", (time(15), time(16))),
            local("Europe/London", (time(9, 15), time(10, 15))),
        ),
    ],
    ids=["both-09:15-10:15", "split-at-09:45", "kathmandu-london"],
)
def test_an_exact_common_hour_off_the_half_hour_grid_is_enough(
    mentor_hours: Availability, mentee_hours: Availability
) -> None:
    spans = (WINTER,)
    mentor, mentee = exactly("m", 1, mentor_hours, spans), exactly("e", 5, mentee_hours, spans)
    [pair] = match(MatchingProblem((mentor,), (mentee,))).pairs
    assert pair.breakdown.common_minutes == 60


PARIS = local("Europe/Paris", (time(9), time(10)))  # 07:00-08:00 UTC in summer, 08:00 in winter
TOKYO = local("Asia/Tokyo", (time(16), time(17)))  # 07:00-08:00 UTC all year


def test_a_program_starting_on_the_switch_day_uses_summer_time_throughout() -> None:
    """2027-03-28 is Europe's switch day: its week began in winter time, the program not."""
    spans = regimes(["Europe/Paris", "Asia/Tokyo"], date(2027, 3, 28), date(2027, 10, 15))
    assert spans == (date(2027, 3, 28),)
    mentor, mentee = exactly("m", 1, PARIS, spans), exactly("e", 5, TOKYO, spans)
    assert len(match(MatchingProblem((mentor,), (mentee,))).pairs) == 1


def test_common_time_must_hold_in_every_dst_regime_the_program_crosses() -> None:
    spans = regimes(["Europe/Paris", "Asia/Tokyo"], date(2027, 3, 1), date(2027, 6, 30))
    assert spans == (date(2027, 3, 1), date(2027, 3, 28))
    mentor, mentee = exactly("m", 1, PARIS, spans), exactly("e", 5, TOKYO, spans)
    result = match(MatchingProblem((mentor,), (mentee,)))
    assert result.pairs == (), "an hour apart until March 28"
    assert {u.reason for u in result.unmatched} == {UnmatchedReason.NO_COMMON_TIME}
    wider = local("Asia/Tokyo", (time(16), time(18)))  # 07:00-09:00 UTC
    [pair] = match(MatchingProblem((mentor,), (exactly("e", 5, wider, spans),))).pairs
    assert pair.breakdown.common_minutes == 60, "scored on the worst regime"


def test_half_an_hour_in_common_is_not_enough_for_a_one_hour_rule() -> None:
    mentor = person("m", 1, {"ai": 5}, availability_utc=to_utc_bitset(monday("UTC", 9, 10), WINTER))
    mentee = person(
        "e", 5, {"ai": 5}, availability_utc=to_utc_bitset(monday("UTC", 9, 10), WINTER) >> 1
    )
    assert match(MatchingProblem((mentor,), (mentee,))).pairs == ()
    relaxed = MatchingProblem((mentor,), (mentee,), rules=MatchingRules(min_common_minutes=30))
    assert len(match(relaxed).pairs) == 1


@pytest.mark.parametrize(
    ("mentor_changes", "mentee_changes", "reason"),
    [
        ({"languages": frozenset({"de"})}, {}, UnmatchedReason.NO_SHARED_LANGUAGE),
        ({"job_level": 5}, {}, UnmatchedReason.SENIORITY_GAP),
        ({"topics": {"agile": 5}}, {}, UnmatchedReason.NO_SHARED_TOPIC),
        ({}, {"reporting_chain": ("m", "ceo")}, UnmatchedReason.ORGANISATIONAL_CONFLICT),
        ({"reporting_chain": ("e",)}, {}, UnmatchedReason.ORGANISATIONAL_CONFLICT),
        ({"manager_id": "boss"}, {"manager_id": "boss"}, UnmatchedReason.ORGANISATIONAL_CONFLICT),
        ({"team": "t"}, {"team": "t"}, UnmatchedReason.ORGANISATIONAL_CONFLICT),
    ],
    ids=[
        "language",
        "seniority",
        "topic",
        "mentor-is-manager",
        "mentee-is-manager",
        "same-manager",
        "same-team",
    ],
)
def test_each_hard_constraint_is_named_as_the_reason(
    mentor_changes: dict[str, object], mentee_changes: dict[str, object], reason: UnmatchedReason
) -> None:
    mentor = replace(person("m", 1, {"ai": 5}), **mentor_changes)  # type: ignore[arg-type]
    mentee = replace(person("e", 5, {"ai": 5}), **mentee_changes)  # type: ignore[arg-type]
    result = match(MatchingProblem((mentor,), (mentee,)))
    assert result.pairs == ()
    assert [u.reason for u in result.unmatched if u.role == "mentee"] == [reason]


def test_same_manager_and_team_are_allowed_when_the_program_says_so() -> None:
    mentor = person("m", 1, {"ai": 5}, manager_id="boss", team="t")
    mentee = person("e", 5, {"ai": 5}, manager_id="boss", team="t")
    rules = MatchingRules(allow_same_manager=True, allow_same_team=True)
    assert len(match(MatchingProblem((mentor,), (mentee,), rules=rules)).pairs) == 1


def test_capacity_exhausted_and_unused_places_are_reported() -> None:
    mentor = person("m", 1, {"ai": 5}, capacity=1)
    spare = person("s", 1, {"agile": 5}, capacity=3)
    strong, weak = person("e1", 5, {"ai": 5}), person("e2", 5, {"ai": 1, "video": 5})
    result = match(MatchingProblem((mentor, spare), (strong, weak)))
    assert [(p.mentor_enrollment_id, p.mentee_enrollment_id) for p in result.pairs] == [
        ("en-m", "en-e1")
    ]
    reasons = {(u.enrollment_id, u.reason, u.free_places) for u in result.unmatched}
    assert reasons == {
        ("en-e2", UnmatchedReason.CAPACITY_EXHAUSTED, 1),
        ("en-s", UnmatchedReason.NO_SHARED_TOPIC, 3),
    }


def test_max_matched_objective_trades_score_for_coverage() -> None:
    star = person("star", 1, {"ai": 5, "agile": 5}, capacity=1)
    plain = person("plain", 1, {"ai": 1}, capacity=1)
    both = person("both", 5, {"ai": 5, "agile": 5})
    only_star = person("only", 5, {"agile": 5})
    by_score = match(MatchingProblem((star, plain), (both, only_star)))
    by_count = match(
        MatchingProblem((star, plain), (both, only_star), objective=Objective.MAX_MATCHED)
    )
    assert len(by_count.pairs) == 2
    assert len(by_count.pairs) >= len(by_score.pairs)
    assert by_score.total_score >= by_count.total_score


def test_pinned_pairs_are_kept_and_only_the_rest_is_rematched() -> None:
    mentor = person("m", 1, {"ai": 5}, capacity=2)
    e1, e2 = person("e1", 5, {"ai": 1}), person("e2", 5, {"ai": 5})
    e3 = person("e3", 5, {"ai": 4, "agile": 4})  # covers half its goals: a weaker fit
    pinned = match(MatchingProblem((mentor,), (e1, e2, e3), pinned=(Pin("en-m", "en-e1"),)))
    assert {(p.mentee_enrollment_id, p.pinned) for p in pinned.pairs} == {
        ("en-e1", True),
        ("en-e2", False),
    }
    with pytest.raises(InvalidPin, match="not among the mentees"):
        match(MatchingProblem((mentor,), (e2,), pinned=(Pin("en-m", "en-e1"),)))
    with pytest.raises(InvalidPin, match="more pins than places"):
        match(
            MatchingProblem(
                (replace(mentor, capacity=1),),
                (e1, e2),
                pinned=(Pin("en-m", "en-e1"), Pin("en-m", "en-e2")),
            )
        )


def test_self_match_lists_the_best_feasible_mentors_with_breakdowns() -> None:
    mentors = (
        person("a", 1, {"ai": 2}),
        person("b", 1, {"ai": 5}, department="Other"),
        person("c", 1, {"ai": 5}, languages=frozenset({"fr"})),
        person("d", 1, {"ai": 4}),
    )
    mentee = person("e", 5, {"ai": 5})
    top = suggest_mentors(MatchingProblem(mentors, (mentee,)), mentee, 2)
    assert [p.mentor_enrollment_id for p in top] == ["en-b", "en-d"]
    assert top[0].breakdown.cross_department == 1.0
    assert top[0].breakdown.topic_fit == 1.0
    assert top[0].breakdown.shared_topics == ("ai",)


def test_a_mentor_sees_the_best_feasible_mentees_by_the_same_rules() -> None:
    mentor = person("m", 1, {"ai": 5, "agile": 3})
    mentees = (
        person("a", 5, {"agile": 5}),
        person("b", 5, {"ai": 5}, department="Other"),
        person("c", 5, {"ai": 5}, languages=frozenset({"fr"})),
        person("d", 0, {"ai": 5}),
    )
    top = suggest_mentees(MatchingProblem((mentor,), mentees), mentor, 5)
    assert [p.mentee_enrollment_id for p in top] == ["en-b", "en-a"], "c: no language, d: junior"
    assert all(p.mentor_enrollment_id == "en-m" for p in top)
    assert top[0].breakdown == breakdown(MatchingProblem((mentor,), mentees), mentor, mentees[1])


def test_reporting_chain_follows_managers_and_survives_cycles() -> None:
    managers = {"a": "b", "b": "c", "c": None, "x": "y", "y": "x"}
    assert reporting_chain("a", managers) == ("b", "c")
    assert reporting_chain("x", managers) == ("y",)
    assert reporting_chain("unknown", managers) == ()


def test_an_avoid_wish_on_either_side_rules_the_pair_out() -> None:
    mentor, mentee = person("m", 1, {"ai": 5}), person("e", 5, {"ai": 5})
    for m, e in (
        (replace(mentor, avoid=frozenset({"e"})), mentee),
        (mentor, replace(mentee, avoid=frozenset({"m"}))),
    ):
        result = match(MatchingProblem((m,), (e,)))
        assert result.pairs == ()
        assert {u.reason for u in result.unmatched} == {UnmatchedReason.AVOIDED_BY_PREFERENCE}


def test_a_preference_outweighs_a_smaller_advantage() -> None:
    a = person("a", 1, {"ai": 5}, department="Other")  # cross-department bonus 0.25
    b = person("b", 1, {"ai": 5})
    mentee = person("e", 5, {"ai": 5})
    weights = MatchingWeights(preference=0.5)
    assert (
        match(MatchingProblem((a, b), (mentee,), weights)).pairs[0].mentor_enrollment_id == "en-a"
    )
    liked = replace(mentee, prefer=frozenset({"b"}))
    [pair] = match(MatchingProblem((a, b), (liked,), weights)).pairs
    assert pair.mentor_enrollment_id == "en-b"
    assert pair.breakdown.preference == 1.0
