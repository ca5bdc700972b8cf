"""Participants as flat arrays, the form the compiled kernel reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tandem_pairing.domain.matching.availability import (
    SLOTS_PER_DAY,
    WORDS,
    run_starts,
    slots_needed,
    to_words,
)
from tandem_pairing.domain.matching.model import MatchingProblem, Participant, SeniorityBasis

UNKNOWN_SENIORITY = 1 << 40
WORD_BITS = 64
WORD_MASK = (1 << WORD_BITS) - 1

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Side:
    """One side (mentors or mentees) of the problem as arrays, row i = participant i."""

    languages: U64  # (n, language words): bit k = the k-th language both sides speak
    availability: U64  # (n, WORDS)
    runs: U64  # (n, WORDS): where a long-enough free run begins
    seniority: I64  # larger = more senior; unknown = +/- UNKNOWN_SENIORITY
    employee: I32
    manager: I32
    team: I32
    department: I32
    chain: I32  # (n, depth), -1 padded
    avoid: I32  # (n, width), -1 padded employee codes
    prefer: I32  # (n, width), -1 padded employee codes
    topic_mask: U64  # bit (topic index % 64) set per topic taught or wanted
    order: I64  # a permutation grouping people with the same languages and hours together
    free_start: I32  # exact free minutes: all intervals, person by person, regime by regime
    free_end: I32
    free_ptr: I64  # (n, regimes + 1): person i's intervals in regime p are ptr[i,p]:ptr[i,p+1]


@dataclass(frozen=True)
class Encoded:
    mentors: Side
    mentees: Side
    mentor_levels: F32  # (n_mentors, topics): expertise level 0..5
    mentee_goals: F32  # (n_mentees, topics): goal priority 0..5
    goal_topics: I32  # (n_mentees, goals), -1 padded
    goal_priorities: F64  # (n_mentees, goals)
    capacities: I64
    weights: F64  # topic, availability, cross_department
    min_gap: int
    min_minutes: int
    allow_same_manager: bool
    allow_same_team: bool
    require_shared_topic: bool
    topics: tuple[str, ...]


class _Codes:
    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def __call__(self, value: str | None) -> int:
        if value is None:
            return -1
        return self._codes.setdefault(value, len(self._codes))


def encode(
    problem: MatchingProblem, mentors: Sequence[Participant], mentees: Sequence[Participant]
) -> Encoded:
    rules = problem.rules
    # Only a language someone on each side speaks can make a pair: the others get no bit (a
    # person left with none shares no language with anyone, which is exact). Any number of
    # languages fits: one 64-bit word per 64 shared languages, one word in practice.
    shared = sorted(
        {lang for p in mentors for lang in p.languages}
        & {lang for p in mentees for lang in p.languages}
    )
    lang_bit = {lang: 1 << i for i, lang in enumerate(shared)}
    language_words = max(1, -(-len(shared) // WORD_BITS))
    topics = tuple(sorted({t for p in (*mentors, *mentees) for t in p.topics}))
    topic_index = {t: i for i, t in enumerate(topics)}
    employees, teams, departments = _Codes(), _Codes(), _Codes()
    run_length = slots_needed(rules.min_common_minutes)

    def side(people: Sequence[Participant], is_mentor: bool) -> Side:
        n = len(people)
        depth = max((len(p.reporting_chain) for p in people), default=0) or 1
        chain = np.full((n, depth), -1, dtype=np.int32)
        availability = np.zeros((n, WORDS), dtype=np.uint64)
        runs = np.zeros((n, WORDS), dtype=np.uint64)
        for i, p in enumerate(people):
            chain[i, : len(p.reporting_chain)] = [employees(e) for e in p.reporting_chain]
            availability[i] = to_words(p.availability_utc)
            runs[i] = to_words(run_starts(p.availability_utc, run_length))
        avoid = _code_lists([p.avoid for p in people], employees)
        prefer = _code_lists([p.prefer for p in people], employees)
        free_start, free_end, free_ptr = _free_minutes(people, n_regimes)
        language_masks = [sum(lang_bit.get(x, 0) for x in p.languages) for p in people]
        order = sorted(
            range(n),
            key=lambda i: (language_masks[i], _hours_of_day(people[i].availability_utc), i),
        )
        return Side(
            languages=np.array(
                [
                    [(mask >> (WORD_BITS * w)) & WORD_MASK for w in range(language_words)]
                    for mask in language_masks
                ],
                dtype=np.uint64,
            ).reshape(n, language_words),
            availability=availability,
            runs=runs,
            seniority=np.array(
                [_seniority(p, rules.seniority_basis, is_mentor) for p in people], dtype=np.int64
            ),
            employee=np.array([employees(p.employee_id) for p in people], dtype=np.int32),
            manager=np.array([employees(p.manager_id) for p in people], dtype=np.int32),
            team=np.array(
                [teams(f"{p.department}/{p.team}" if p.team else None) for p in people],
                dtype=np.int32,
            ),
            department=np.array([departments(p.department) for p in people], dtype=np.int32),
            chain=chain,
            avoid=avoid,
            prefer=prefer,
            topic_mask=np.array(
                [sum({1 << (topic_index[t] % 64) for t in p.topics}) for p in people],
                dtype=np.uint64,
            ),
            order=np.array(order, dtype=np.int64),
            free_start=free_start,
            free_end=free_end,
            free_ptr=free_ptr,
        )

    counts = {len(p.regimes) for p in (*mentors, *mentees)}
    if len(counts) > 1:
        raise ValueError("every participant of one problem needs the same DST regimes")
    n_regimes = counts.pop() if counts else 1
    mentor_side, mentee_side = side(mentors, True), side(mentees, False)
    levels = np.zeros((len(mentors), max(len(topics), 1)), dtype=np.float32)
    for i, p in enumerate(mentors):
        for topic, level in p.topics.items():
            levels[i, topic_index[topic]] = level
    wanted = np.zeros((len(mentees), max(len(topics), 1)), dtype=np.float32)
    for i, p in enumerate(mentees):
        for topic, priority in p.topics.items():
            wanted[i, topic_index[topic]] = priority
    goals = max((len(p.topics) for p in mentees), default=0) or 1
    goal_topics = np.full((len(mentees), goals), -1, dtype=np.int32)
    goal_priorities = np.zeros((len(mentees), goals), dtype=np.float64)
    for i, p in enumerate(mentees):
        for g, (topic, priority) in enumerate(sorted(p.topics.items())):
            goal_topics[i, g] = topic_index[topic]
            goal_priorities[i, g] = priority
    w = problem.weights
    return Encoded(
        mentors=mentor_side,
        mentees=mentee_side,
        mentor_levels=levels,
        mentee_goals=wanted,
        goal_topics=goal_topics,
        goal_priorities=goal_priorities,
        capacities=np.array([p.capacity for p in mentors], dtype=np.int64),
        weights=np.array(
            [w.topic, w.availability, w.cross_department, w.preference], dtype=np.float64
        ),
        min_gap=rules.min_seniority_gap,
        min_minutes=rules.min_common_minutes,
        allow_same_manager=rules.allow_same_manager,
        allow_same_team=rules.allow_same_team,
        require_shared_topic=rules.require_shared_topic,
        topics=topics,
    )


def _free_minutes(people: Sequence[Participant], n_regimes: int) -> tuple[I32, I32, I64]:
    starts: list[int] = []
    ends: list[int] = []
    ptr = np.zeros((len(people), n_regimes + 1), dtype=np.int64)
    for i, p in enumerate(people):
        for r, intervals in enumerate(p.regimes):
            ptr[i, r] = len(starts)
            starts += [lo for lo, _ in intervals]
            ends += [hi for _, hi in intervals]
        ptr[i, n_regimes] = len(starts)
    return np.array(starts, dtype=np.int32), np.array(ends, dtype=np.int32), ptr


def _code_lists(lists: Sequence[frozenset[str]], codes: _Codes) -> I32:
    width = max((len(x) for x in lists), default=0) or 1
    out = np.full((len(lists), width), -1, dtype=np.int32)
    for i, ids in enumerate(lists):
        out[i, : len(ids)] = [codes(e) for e in sorted(ids)]
    return out


def _hours_of_day(bits: int) -> int:
    """The week folded onto one day: people free at the same hours sort next to each other."""
    day = 0
    for d in range(7):
        day |= (bits >> (d * SLOTS_PER_DAY)) & ((1 << SLOTS_PER_DAY) - 1)
    return day


def _seniority(p: Participant, basis: SeniorityBasis, is_mentor: bool) -> int:
    """A key where larger means more senior; unknown fails the gap check on either side."""
    if basis is SeniorityBasis.JOB_LEVEL:
        return p.job_level
    if p.birth_year is None:
        return UNKNOWN_SENIORITY if is_mentor else -UNKNOWN_SENIORITY
    return -p.birth_year
