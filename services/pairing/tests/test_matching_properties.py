"""Matching invariants on random small instances, checked against an independent brute force."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_pairing.domain.matching import (
    MatchingProblem,
    MatchingRules,
    MatchingWeights,
    Objective,
    Participant,
    SeniorityBasis,
    UnmatchedReason,
    match,
)
from tandem_pairing.domain.matching.availability import Intervals, coarse_bitset, merge

WEEK = 7 * 24 * 60
# Weekly windows in exact UTC minutes (0 = Monday 00:00): some overlap, some do not, several
# are off the half-hour grid (a +5:45 zone, a slot split at 09:45), one wraps into Monday.
WINDOWS = [
    ((540, 660),),  # Monday 09:00-11:00
    ((600, 720),),  # Monday 10:00-12:00
    ((555, 615),),  # Monday 09:15-10:15
    ((555, 585), (585, 615)),  # the same, split at 09:45
    ((585, 645),),  # Monday 09:45-10:45
    ((WEEK - 30, WEEK), (0, 40)),  # Sunday 23:30 to Monday 00:40
    ((0, 25),),  # Monday 00:00-00:25
    ((2220, 2340),),  # Tuesday 13:00-15:00
    ((630, 660),),  # Monday 10:30-11:00 (too short alone)
]


def shifted(intervals: Intervals, minutes: int) -> Intervals:
    """The same local hours after a DST switch: every interval moved, wrapping the week."""
    out: list[tuple[int, int]] = []
    for start, end in intervals:
        lo, hi = start + minutes, end + minutes
        out += (
            [(lo % WEEK, (hi - 1) % WEEK + 1)]
            if lo // WEEK == (hi - 1) // WEEK
            else [
                (lo % WEEK, WEEK),
                (0, hi % WEEK),
            ]
        )
    return merge(out)


def minutes_of(intervals: Intervals) -> set[int]:
    return {t for lo, hi in intervals for t in range(lo, hi)}


def longest_run(free: set[int]) -> int:
    """The longest stretch of consecutive minutes, cyclically over the week."""
    if len(free) == WEEK:
        return WEEK
    best = 0
    for start in free:
        if (start - 1) % WEEK in free:
            continue
        length = 0
        while (start + length) % WEEK in free:
            length += 1
        best = max(best, length)
    return best


PEOPLE = [f"p{n}" for n in range(12)]
MANY_LANGUAGES = ["en", "de", "fr"] + [
    f"q{a}{b}" for a in "abcdefghijklmnopqrst" for b in "abcdefgh"
]
"""163 codes (ISO 639's private-use range qaa-qtz): enough that both sides can share more than
64, which spills the engine's language masks over several words."""
LANGUAGE_SETS = st.one_of(
    st.sets(st.sampled_from(["en", "de", "fr"]), min_size=1),
    st.sets(st.sampled_from(MANY_LANGUAGES), min_size=1, max_size=140),
)
OTHERS = ["m0", "m1", "e0", "e1", "e2"]  # wishes name people who may be on the other side


@st.composite
def participants(draw: st.DrawFn, prefix: str, count: int, mentor: bool) -> list[Participant]:
    out = []
    for n in range(count):
        windows = draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=2))
        winter = merge(i for w in windows for i in w)
        # Two DST regimes: a person's UTC hours move by an hour in the second, or not.
        free = (winter, shifted(winter, draw(st.sampled_from([0, -60]))))
        topics = draw(
            st.dictionaries(st.sampled_from("abcd"), st.integers(1, 5), min_size=1, max_size=3)
        )
        employee = f"{prefix}{n}"
        manager = draw(st.sampled_from([None, *PEOPLE[:4]]))
        chain = (manager, "p0") if manager not in (None, "p0") else ((manager,) if manager else ())
        out.append(
            Participant(
                enrollment_id=f"en-{employee}",
                employee_id=employee,
                department=draw(st.sampled_from("XYZ")),
                team=draw(st.sampled_from([None, "t1", "t2"])),
                manager_id=manager,
                reporting_chain=tuple(chain),
                job_level=draw(st.integers(0, 8)),
                birth_year=draw(st.one_of(st.none(), st.integers(1960, 2004))),
                languages=frozenset(draw(LANGUAGE_SETS)),
                availability_utc=coarse_bitset(free),
                free_minutes=free,
                topics=topics,
                capacity=draw(st.integers(1, 3)) if mentor else 1,
                avoid=frozenset(draw(st.sets(st.sampled_from(OTHERS), max_size=1))),
                prefer=frozenset(draw(st.sets(st.sampled_from(OTHERS), max_size=2))),
            )
        )
    return out


@st.composite
def problems(draw: st.DrawFn) -> MatchingProblem:
    mentors = draw(participants("m", draw(st.integers(0, 3)), True))
    mentees = draw(participants("e", draw(st.integers(0, 6)), False))
    # Let some mentees sit in a mentor's reporting line.
    mentees = [
        p
        if not draw(st.booleans()) or not mentors
        else Participant(
            **{**p.__dict__, "reporting_chain": (mentors[0].employee_id, *p.reporting_chain)}
        )
        for p in mentees
    ]
    rules = MatchingRules(
        seniority_basis=draw(st.sampled_from(SeniorityBasis)),
        min_seniority_gap=draw(st.integers(0, 3)),
        allow_same_manager=draw(st.booleans()),
        allow_same_team=draw(st.booleans()),
        require_shared_topic=draw(st.booleans()),
        min_common_minutes=draw(st.sampled_from([30, 60, 90])),
    )
    weights = MatchingWeights(
        topic=draw(st.sampled_from([0.5, 1.0, 2.0])),
        availability=draw(st.sampled_from([0.0, 0.25, 1.0])),
        cross_department=draw(st.sampled_from([0.0, 0.25, 0.5])),
        preference=draw(st.sampled_from([0.0, 0.5])),
    )
    return MatchingProblem(
        tuple(mentors), tuple(mentees), weights, rules, draw(st.sampled_from(Objective))
    )


def feasible(problem: MatchingProblem, mentor: Participant, mentee: Participant) -> bool:
    """The hard constraints, written out independently of the engine."""
    rules = problem.rules
    if not mentor.languages & mentee.languages:
        return False
    if rules.seniority_basis is SeniorityBasis.JOB_LEVEL:
        if mentee.job_level - mentor.job_level < rules.min_seniority_gap:
            return False
    elif (
        mentor.birth_year is None
        or mentee.birth_year is None
        or (mentor.birth_year - mentee.birth_year < rules.min_seniority_gap)
    ):
        return False
    for a, b in zip(mentor.regimes, mentee.regimes, strict=True):
        if longest_run(minutes_of(a) & minutes_of(b)) < rules.min_common_minutes:
            return False
    if rules.require_shared_topic and not set(mentor.topics) & set(mentee.topics):
        return False
    if mentor.employee_id in mentee.reporting_chain or mentee.employee_id in mentor.reporting_chain:
        return False
    if (
        not rules.allow_same_manager
        and mentor.manager_id
        and mentor.manager_id == mentee.manager_id
    ):
        return False
    if mentor.employee_id in mentee.avoid or mentee.employee_id in mentor.avoid:
        return False
    return (
        rules.allow_same_team
        or not mentor.team
        or mentor.team != mentee.team
        or (mentor.department != mentee.department)
    )


def score(problem: MatchingProblem, mentor: Participant, mentee: Participant) -> float:
    w = problem.weights
    fit = sum(mentee.topics[t] * mentor.topics.get(t, 0) for t in mentee.topics)
    topic = fit / (5 * sum(mentee.topics.values()))
    common = min(
        len(minutes_of(a) & minutes_of(b))
        for a, b in zip(mentor.regimes, mentee.regimes, strict=True)
    )
    cross = 1.0 if mentor.department != mentee.department else 0.0
    liked = mentor.employee_id in mentee.prefer or mentee.employee_id in mentor.prefer
    return (
        w.topic * topic
        + w.availability * min(common, 180) / 180
        + w.cross_department * cross
        + w.preference * liked
    )


def brute_force(problem: MatchingProblem) -> tuple[int, float]:
    """(matched, total score) of the best assignment under the problem's objective."""
    options = [
        [None]
        + [m for m, mentor in enumerate(problem.mentors) if feasible(problem, mentor, mentee)]
        for mentee in problem.mentees
    ]
    by_count = problem.objective is Objective.MAX_MATCHED
    best_key: tuple[float, ...] = (0, 0.0) if by_count else (0.0,)
    best = (0, 0.0)
    for choice in itertools.product(*options):
        used = [choice.count(m) for m in range(len(problem.mentors))]
        if any(u > mentor.capacity for u, mentor in zip(used, problem.mentors, strict=True)):
            continue
        chosen = [(m, i) for i, m in enumerate(choice) if m is not None]
        total = sum(score(problem, problem.mentors[m], problem.mentees[i]) for m, i in chosen)
        key = (len(chosen), total) if by_count else (total,)
        if key > best_key:
            best_key, best = key, (len(chosen), total)
    return best


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(problems())
def test_capacities_and_hard_constraints_hold(problem: MatchingProblem) -> None:
    result = match(problem)
    mentors = {p.enrollment_id: p for p in problem.mentors}
    mentees = {p.enrollment_id: p for p in problem.mentees}
    per_mentor: dict[str, int] = {}
    seen_mentees = set()
    for pair in result.pairs:
        mentor, mentee = mentors[pair.mentor_enrollment_id], mentees[pair.mentee_enrollment_id]
        assert feasible(problem, mentor, mentee), pair
        per_mentor[mentor.enrollment_id] = per_mentor.get(mentor.enrollment_id, 0) + 1
        assert mentee.enrollment_id not in seen_mentees
        seen_mentees.add(mentee.enrollment_id)
        assert abs(pair.breakdown.total - score(problem, mentor, mentee)) < 1e-5
    for mentor_id, used in per_mentor.items():
        assert used <= mentors[mentor_id].capacity
    unmatched_mentees = {u.enrollment_id for u in result.unmatched if u.role == "mentee"}
    assert unmatched_mentees | seen_mentees == set(mentees)
    assert not unmatched_mentees & seen_mentees


@SETTINGS
@given(problems())
def test_result_equals_the_brute_force_optimum(problem: MatchingProblem) -> None:
    result = match(problem)
    matched, best = brute_force(problem)
    assert abs(result.total_score - best) < 1e-4 * max(1, len(problem.mentees))
    if problem.objective is Objective.MAX_MATCHED:
        assert len(result.pairs) == matched
    else:
        assert result.stats.certified_optimal, "small instances are always priced to a proof"


@SETTINGS
@given(problems())
def test_deterministic(problem: MatchingProblem) -> None:
    first, second = match(problem), match(problem)
    assert first.pairs == second.pairs
    assert first.unmatched == second.unmatched


@SETTINGS
@given(problems())
def test_unmatched_reasons_are_truthful(problem: MatchingProblem) -> None:
    result = match(problem)
    mentees = {p.enrollment_id: p for p in problem.mentees}
    for u in result.unmatched:
        if u.role != "mentee":
            continue
        has_feasible = any(feasible(problem, m, mentees[u.enrollment_id]) for m in problem.mentors)
        if has_feasible:
            assert u.reason is UnmatchedReason.CAPACITY_EXHAUSTED
        else:
            assert u.reason is not UnmatchedReason.CAPACITY_EXHAUSTED


@st.composite
def free_time(draw: st.DrawFn) -> tuple[Intervals, ...]:
    windows = draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=3))
    winter = merge(i for w in windows for i in w)
    return (winter, shifted(winter, draw(st.sampled_from([0, -60, 45]))))


@SETTINGS
@given(free_time(), free_time(), st.sampled_from([30, 45, 60, 70, 90]))
def test_time_feasibility_and_common_minutes_are_exact(
    mentor_free: tuple[Intervals, ...], mentee_free: tuple[Intervals, ...], minutes: int
) -> None:
    """Everything but time allows the pair: it is matched exactly when every regime has a
    common run of `minutes` (wrapping the week included), scored on the worst regime."""

    def someone(eid: str, level: int, free: tuple[Intervals, ...]) -> Participant:
        return Participant(
            enrollment_id=f"en-{eid}",
            employee_id=eid,
            department="D",
            team=None,
            manager_id=None,
            reporting_chain=(),
            job_level=level,
            birth_year=None,
            languages=frozenset({"en"}),
            availability_utc=coarse_bitset(free),
            topics={"a": 5},
            free_minutes=free,
        )

    mentor, mentee = someone("m", 1, mentor_free), someone("e", 5, mentee_free)
    problem = MatchingProblem((mentor,), (mentee,), rules=MatchingRules(min_common_minutes=minutes))
    result = match(problem)
    commons = [minutes_of(a) & minutes_of(b) for a, b in zip(mentor_free, mentee_free, strict=True)]
    expected = all(longest_run(c) >= minutes for c in commons)
    assert len(result.pairs) == int(expected)
    if expected:
        assert result.pairs[0].breakdown.common_minutes == min(len(c) for c in commons)
    else:
        assert {u.reason for u in result.unmatched} == {UnmatchedReason.NO_COMMON_TIME}
