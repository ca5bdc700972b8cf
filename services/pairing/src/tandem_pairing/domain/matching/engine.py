"""The matching engine: candidates from the compiled kernel, then an optimal min-cost flow.

Pure: no I/O, deterministic for the same input (fixed iteration order, ties to the lower index).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from tandem_pairing.domain.matching import kernel
from tandem_pairing.domain.matching.availability import common
from tandem_pairing.domain.matching.duals import TOLERANCE, block_min_prices, mentor_prices
from tandem_pairing.domain.matching.encoding import Encoded, encode
from tandem_pairing.domain.matching.model import (
    MatchingProblem,
    MatchingResult,
    MatchingStats,
    Objective,
    Participant,
    Pin,
    ProposedPair,
    ScoreBreakdown,
    Unmatched,
    UnmatchedReason,
)
from tandem_pairing.domain.matching.solver import solve

FUNNEL_REASONS = (
    UnmatchedReason.NO_SHARED_LANGUAGE,
    UnmatchedReason.SENIORITY_GAP,
    UnmatchedReason.NO_COMMON_TIME,
    UnmatchedReason.NO_SHARED_TOPIC,
    UnmatchedReason.ORGANISATIONAL_CONFLICT,
    UnmatchedReason.AVOIDED_BY_PREFERENCE,
)


class InvalidPin(ValueError):
    """A pinned pair names someone not enrolled, or overfills a mentor."""


def match(problem: MatchingProblem) -> MatchingResult:
    mentors = problem.mentors
    kept, capacities, free_mentees = _apply_pins(problem)
    clock = time.perf_counter()
    graph = candidate_graph(problem, free_mentees)
    arc_mentee, arc_mentor, arc_score = graph.mentee, graph.mentor, graph.score
    scoring = time.perf_counter() - clock
    clock = time.perf_counter()
    chosen = solve(
        len(free_mentees), capacities, arc_mentee, arc_mentor, arc_score, problem.objective
    )
    solving = time.perf_counter() - clock
    rounds, certified = 0, problem.objective is not Objective.MAX_SCORE
    bound: float | None = None
    max_rounds = problem.effective_pricing_rounds()
    while problem.objective is Objective.MAX_SCORE and rounds < max_rounds:
        clock = time.perf_counter()
        extra, round_bound = _priced_arcs(problem, graph, capacities, chosen)
        scoring += time.perf_counter() - clock
        bound = round_bound if bound is None else min(bound, round_bound)
        if extra is None:
            certified = True
            break
        rounds += 1
        arc_mentee, arc_mentor, arc_score = _union(
            (arc_mentee, arc_mentor, arc_score), extra, len(mentors)
        )
        clock = time.perf_counter()
        chosen = solve(
            len(free_mentees), capacities, arc_mentee, arc_mentor, arc_score, problem.objective
        )
        solving += time.perf_counter() - clock
        graph = replace(graph, mentee=arc_mentee, mentor=arc_mentor, score=arc_score)

    pairs = list(kept)
    used = np.zeros(len(mentors), dtype=np.int64)
    matched_mentee = np.zeros(len(free_mentees), dtype=bool)
    for a in np.flatnonzero(chosen):
        i, m = int(arc_mentee[a]), int(arc_mentor[a])
        pairs.append(
            ProposedPair(
                mentors[m].enrollment_id,
                free_mentees[i].enrollment_id,
                breakdown(problem, mentors[m], free_mentees[i]),
            )
        )
        used[m] += 1
        matched_mentee[i] = True
    has_candidates = np.zeros(len(free_mentees), dtype=bool)
    has_candidates[arc_mentee] = True
    unmatched = [
        Unmatched(
            p.enrollment_id,
            "mentee",
            _reason(graph.mentee_funnel[i], has_candidates[i], UnmatchedReason.CAPACITY_EXHAUSTED),
        )
        for i, p in enumerate(free_mentees)
        if not matched_mentee[i]
    ]
    mentor_has = np.zeros(len(mentors), dtype=bool)
    mentor_has[arc_mentor] = True
    unmatched += [
        Unmatched(
            p.enrollment_id,
            "mentor",
            _reason(graph.mentor_funnel[m], mentor_has[m], UnmatchedReason.NO_MENTEES_LEFT),
            free_places=int(capacities[m] - used[m]),
        )
        for m, p in enumerate(mentors)
        if used[m] < capacities[m]
    ]
    pairs.sort(key=lambda p: (p.mentor_enrollment_id, p.mentee_enrollment_id))
    return MatchingResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        total_score=round(sum(p.breakdown.total for p in pairs), 9),
        stats=MatchingStats(
            len(arc_mentee),
            scoring,
            solving,
            rounds,
            certified,
            free_score=round(float(arc_score[chosen].sum()), 9),
            upper_bound=None if bound is None else round(bound, 9),
        ),
    )


def suggest_mentors(problem: MatchingProblem, mentee: Participant, k: int) -> list[ProposedPair]:
    """The k best feasible mentors for one mentee (self-match), best first, ignoring capacity."""
    partners = _best_partners(problem, mentee, k, for_mentee=True)
    return [
        ProposedPair(m.enrollment_id, mentee.enrollment_id, breakdown(problem, m, mentee))
        for m in partners
    ]


def suggest_mentees(problem: MatchingProblem, mentor: Participant, k: int) -> list[ProposedPair]:
    """The k best feasible mentees for one mentor, best first (the mentor's side of
    self-match), with the same rules and score as the matching run."""
    partners = _best_partners(problem, mentor, k, for_mentee=False)
    return [
        ProposedPair(mentor.enrollment_id, e.enrollment_id, breakdown(problem, mentor, e))
        for e in partners
    ]


def _best_partners(
    problem: MatchingProblem, person: Participant, k: int, *, for_mentee: bool
) -> list[Participant]:
    """One kernel row: `person` against every participant of the other side."""
    others = problem.mentors if for_mentee else problem.mentees
    if not others or k < 1:
        return []
    enc = encode(problem, others, [person]) if for_mentee else encode(problem, [person], others)
    enc_tuple, org_tuple = kernel_args(enc)
    side = enc.mentors if for_mentee else enc.mentees
    scores, ids, _ = kernel.top_candidates(
        1, for_mentee, side.order, k, enc_tuple, org_tuple, blocks(enc, mentors_side=for_mentee)
    )
    order = sorted(
        (-scores[0, j], int(ids[0, j])) for j in range(scores.shape[1]) if ids[0, j] >= 0
    )
    return [others[j] for _, j in order[:k]]


def breakdown(problem: MatchingProblem, mentor: Participant, mentee: Participant) -> ScoreBreakdown:
    """The explanation of one pair's score, criterion by criterion (same formula as the kernel)."""
    shared = tuple(sorted(set(mentor.topics) & set(mentee.topics)))
    total_priority = sum(mentee.topics.values())
    fit = sum(mentee.topics[t] * mentor.topics[t] for t in shared)
    topic = fit / (5.0 * total_priority) if total_priority else 0.0
    minutes = min(common(a, b)[0] for a, b in zip(mentor.regimes, mentee.regimes, strict=True))
    availability = min(minutes, 180) / 180
    cross = 1.0 if mentor.department != mentee.department else 0.0
    liked = (
        1.0 if mentor.employee_id in mentee.prefer or mentee.employee_id in mentor.prefer else 0.0
    )
    w = problem.weights
    total = (
        w.topic * topic
        + w.availability * availability
        + w.cross_department * cross
        + w.preference * liked
    )
    return ScoreBreakdown(
        topic_fit=round(topic, 6),
        availability=round(availability, 6),
        cross_department=cross,
        preference=liked,
        total=round(total, 6),
        common_minutes=minutes,
        shared_topics=shared,
    )


def kernel_args(
    enc: Encoded, prices: npt.NDArray[np.float64] | None = None
) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """The kernel's argument tuples; `prices` reduce mentor scores in a pricing round."""
    me, mo = enc.mentees, enc.mentors
    enc_tuple = (
        me.languages,
        mo.languages,
        me.availability,
        mo.availability,
        me.runs,
        mo.runs,
        me.seniority,
        mo.seniority,
        enc.min_gap,
        enc.goal_topics,
        enc.goal_priorities,
        enc.mentor_levels,
        enc.require_shared_topic,
        me.department,
        mo.department,
        enc.weights,
        me.topic_mask,
        mo.topic_mask,
        np.zeros(len(mo.languages)) if prices is None else prices,
        me.prefer,
        mo.prefer,
        me.employee,
        mo.employee,
        me.free_start,
        me.free_end,
        me.free_ptr,
        mo.free_start,
        mo.free_end,
        mo.free_ptr,
        enc.min_minutes,
    )
    org_tuple = (
        me.employee,
        mo.employee,
        me.manager,
        mo.manager,
        me.team,
        mo.team,
        me.chain,
        mo.chain,
        enc.allow_same_manager,
        enc.allow_same_team,
        me.avoid,
        mo.avoid,
    )
    return enc_tuple, org_tuple


@dataclass(frozen=True)
class CandidateGraph:
    """The sparse bipartite graph the solver sees: arcs sorted by (mentee, mentor)."""

    mentee: npt.NDArray[np.int32]
    mentor: npt.NDArray[np.int32]
    score: npt.NDArray[np.float64]
    mentee_funnel: npt.NDArray[np.int32]
    mentor_funnel: npt.NDArray[np.int32]
    encoded: Encoded


def candidate_graph(
    problem: MatchingProblem, mentees: Sequence[Participant] | None = None
) -> CandidateGraph:
    """Union of each mentee's best mentors and each mentor's best mentees, deduplicated."""
    mentees = problem.mentees if mentees is None else mentees
    enc = encode(problem, problem.mentors, mentees)
    n_mentees, n_mentors = len(mentees), len(problem.mentors)
    enc_tuple, org_tuple = kernel_args(enc)
    k1 = max(1, min(problem.candidates_per_mentee, n_mentors))
    k2 = max(1, min(problem.candidates_per_mentor, n_mentees))
    if n_mentees == 0 or n_mentors == 0:
        empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float64)
        return CandidateGraph(
            empty_i,
            empty_i,
            empty_f,
            np.zeros((n_mentees, kernel.STAGES), np.int32),
            np.zeros((n_mentors, kernel.STAGES), np.int32),
            enc,
        )
    s1, ids1, f1 = kernel.top_candidates(
        n_mentees, True, enc.mentors.order, k1, enc_tuple, org_tuple, blocks(enc, True)
    )
    s2, ids2, f2 = kernel.top_candidates(
        n_mentors, False, enc.mentees.order, k2, enc_tuple, org_tuple, blocks(enc, False)
    )
    rows1 = np.repeat(np.arange(n_mentees, dtype=np.int64), k1)
    rows2 = np.repeat(np.arange(n_mentors, dtype=np.int64), k2)
    mentee = np.concatenate([rows1, ids2.ravel().astype(np.int64)])
    mentor = np.concatenate([ids1.ravel().astype(np.int64), rows2])
    score = np.concatenate([s1.ravel(), s2.ravel()])
    keep = (mentee >= 0) & (mentor >= 0)
    key = mentee[keep] * n_mentors + mentor[keep]
    key, first = np.unique(key, return_index=True)
    return CandidateGraph(
        (key // n_mentors).astype(np.int32),
        (key % n_mentors).astype(np.int32),
        score[keep][first],
        f1,
        f2,
        enc,
    )


def blocks(
    enc: Encoded, mentors_side: bool, prices: npt.NDArray[np.float64] | None = None
) -> tuple[object, ...]:
    """Block summaries of the side being scanned (mentors for mentee rows, and vice versa)."""
    side = enc.mentors if mentors_side else enc.mentees
    levels = enc.mentor_levels if mentors_side else enc.mentee_goals
    n_blocks = -(-len(side.order) // kernel.BLOCK)
    if prices is None:
        cheapest = np.zeros(n_blocks)
    else:
        cheapest = block_min_prices(side.order, prices, kernel.BLOCK)
    return (
        *kernel.block_summaries(
            side.order,
            side.languages,
            side.runs,
            side.availability,
            side.topic_mask,
            side.seniority,
            levels,
            mentors_side,
        ),
        cheapest,
    )


Arcs = tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.float64]]


def _priced_arcs(
    problem: MatchingProblem,
    graph: CandidateGraph,
    capacities: npt.NDArray[np.int64],
    chosen: npt.NDArray[np.bool_],
) -> tuple[Arcs | None, float]:
    """Pairs outside the graph that could improve the solution (None when none can), and an
    upper bound on the best total score of any assignment of the free mentees.

    Prices come from the current solution's dual; a mentee whose best price-adjusted partner
    beats its current pair has an improving pair we never scored. None is a proof of optimality
    over all pairs (LP duality), up to the solver's rounding. The bound holds for any prices
    u >= 0: with each mentee's best price-adjusted score over all mentors w_i, (w, u) is
    feasible for the dual LP, so sum(w) + sum(capacity * u) bounds every assignment.
    """
    n_mentees = len(graph.mentee_funnel)
    if n_mentees == 0 or len(capacities) == 0:
        return None, 0.0
    assigned = np.full(n_mentees, -1, dtype=np.int64)
    assigned_score = np.zeros(n_mentees)
    assigned[graph.mentee[chosen]] = graph.mentor[chosen]
    assigned_score[graph.mentee[chosen]] = graph.score[chosen]
    prices = mentor_prices(
        graph.mentee, graph.mentor, graph.score, assigned, assigned_score, len(capacities)
    )
    margin = np.where(assigned >= 0, assigned_score - prices[np.maximum(assigned, 0)], 0.0)
    enc_tuple, org_tuple = kernel_args(graph.encoded, prices)
    reduced, ids, _ = kernel.top_candidates(
        n_mentees,
        True,
        graph.encoded.mentors.order,
        problem.pricing_candidates,
        enc_tuple,
        org_tuple,
        blocks(graph.encoded, True, prices),
    )
    rows = np.repeat(np.arange(n_mentees), reduced.shape[1])
    mentor = ids.ravel()
    best = np.where(ids >= 0, reduced, 0.0).max(axis=1, initial=0.0)
    bound = float(best.sum() + (capacities * prices).sum())
    improving = (mentor >= 0) & (reduced.ravel() > np.repeat(margin, reduced.shape[1]) + TOLERANCE)
    if not improving.any():
        return None, bound
    m = mentor[improving]
    arcs = (
        rows[improving].astype(np.int32),
        m.astype(np.int32),
        reduced.ravel()[improving] + prices[m],
    )
    return arcs, bound


def _union(a: Arcs, b: Arcs, n_mentors: int) -> Arcs:
    mentee = np.concatenate([a[0], b[0]]).astype(np.int64)
    mentor = np.concatenate([a[1], b[1]]).astype(np.int64)
    score = np.concatenate([a[2], b[2]])
    key, first = np.unique(mentee * n_mentors + mentor, return_index=True)
    return (key // n_mentors).astype(np.int32), (key % n_mentors).astype(np.int32), score[first]


def _reason(
    funnel: npt.NDArray[np.int32], had_candidates: bool, otherwise: UnmatchedReason
) -> UnmatchedReason:
    """The first stage nobody passed, or `otherwise` when feasible partners existed."""
    if had_candidates:
        return otherwise
    for stage, reason in enumerate(FUNNEL_REASONS):
        if funnel[stage] == 0:
            return reason
    return otherwise


def _apply_pins(
    problem: MatchingProblem,
) -> tuple[list[ProposedPair], npt.NDArray[np.int64], list[Participant]]:
    mentors = {p.enrollment_id: (i, p) for i, p in enumerate(problem.mentors)}
    mentees = {p.enrollment_id: p for p in problem.mentees}
    capacities = np.array([p.capacity for p in problem.mentors], dtype=np.int64)
    kept: list[ProposedPair] = []
    pinned_mentees: set[str] = set()
    for pin in problem.pinned:
        _check_pin(pin, mentors, mentees, pinned_mentees)
        m, mentor = mentors[pin.mentor_enrollment_id]
        if capacities[m] == 0:
            raise InvalidPin(f"mentor {pin.mentor_enrollment_id} has more pins than places")
        capacities[m] -= 1
        pinned_mentees.add(pin.mentee_enrollment_id)
        mentee = mentees[pin.mentee_enrollment_id]
        kept.append(
            ProposedPair(
                mentor.enrollment_id,
                mentee.enrollment_id,
                breakdown(problem, mentor, mentee),
                pinned=True,
            )
        )
    free = [p for p in problem.mentees if p.enrollment_id not in pinned_mentees]
    return kept, capacities, free


def _check_pin(
    pin: Pin,
    mentors: dict[str, tuple[int, Participant]],
    mentees: dict[str, Participant],
    pinned: set[str],
) -> None:
    if pin.mentor_enrollment_id not in mentors:
        raise InvalidPin(f"pinned mentor {pin.mentor_enrollment_id} is not among the mentors")
    if pin.mentee_enrollment_id not in mentees:
        raise InvalidPin(f"pinned mentee {pin.mentee_enrollment_id} is not among the mentees")
    if pin.mentee_enrollment_id in pinned:
        raise InvalidPin(f"mentee {pin.mentee_enrollment_id} is pinned twice")
