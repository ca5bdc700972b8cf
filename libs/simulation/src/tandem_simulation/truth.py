"""What the simulated participants did, and the KPIs that follows from it.

The scenario records every action the services accepted (a held session, a feedback, an
answer) here; `expected_kpis` recomputes a program's KPIs from that record alone, with its own
arithmetic, so a test can hold the metrics service's report (built from events) against it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from statistics import mean
from typing import Any


@dataclass(frozen=True)
class PairTruth:
    pair_id: str
    mentor_id: str
    mentee_id: str
    topics: tuple[str, ...]


@dataclass
class GroundTruth:
    pairs: dict[str, PairTruth] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    """session id → minutes reported."""
    missed: set[str] = field(default_factory=set)
    """Reported `partner_absent`."""
    unreported: set[str] = field(default_factory=set)
    """Begun, never reported: the scheduling service expires them as missed."""
    cancelled: set[str] = field(default_factory=set)
    rescheduled: set[str] = field(default_factory=set)
    feedback: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    """(session id, side) → (rating, usefulness); every held session asks both sides."""
    held_pair: dict[str, str] = field(default_factory=dict)
    """session id → pair id, for the held sessions."""
    surveys: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(kind, pair id, side, score) in the order given (a person's last NPS counts)."""
    assessments: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    """(pair id, topic, phase, assessor side) → level."""
    ended: dict[str, str] = field(default_factory=dict)
    """pair id → why it ended (the scenario's own reason for ending it)."""
    departed: set[str] = field(default_factory=set)
    moved_zone: set[str] = field(default_factory=set)

    def person(self, pair_id: str, side: str) -> str:
        pair = self.pairs[pair_id]
        return pair.mentor_id if side == "mentor" else pair.mentee_id


def _pooled(by_person: dict[str, list[float]], k: int) -> dict[str, Any]:
    """Mean of every value of the people who gave any, when at least k did."""
    people = [p for p, values in by_person.items() if values]
    if len(people) < k:
        return {"value": None, "respondents": None, "suppressed": True}
    values = [v for p in people for v in by_person[p]]
    return {"value": round(mean(values), 4), "respondents": len(people), "suppressed": False}


def expected_kpis(truth: GroundTruth, k: int = 5) -> dict[str, Any]:
    """The KPIs the metrics service must report for this program, from the ground truth.

    The shape follows the report's fields, so a test can compare them one by one."""
    sessions = {
        "held": len(truth.held),
        "missed": len(truth.missed) + len(truth.unreported),
    }
    feedback: dict[str, Any] = {}
    for side in ("mentor", "mentee"):
        asked: dict[str, list[float]] = defaultdict(list)
        ratings: dict[str, list[float]] = defaultdict(list)
        for session_id, pair_id in truth.held_pair.items():
            person = truth.person(pair_id, side)
            answer = truth.feedback.get((session_id, side))
            asked[person].append(1.0 if answer else 0.0)
            if answer:
                ratings[person].append(float(answer[0]))
        feedback[side] = {
            "requested": len(truth.held_pair),
            "completion": _pooled(asked, k),
            "rating": _pooled(ratings, k),
        }
    mqs: dict[str, list[float]] = defaultdict(list)
    nps_last: dict[str, float] = {}
    for kind, pair_id, side, score in truth.surveys:
        person = truth.person(pair_id, side)
        if kind == "mqs":
            mqs[person].append(float(score))
        else:
            nps_last[person] = float(score)
    nps = _pooled({p: [s] for p, s in nps_last.items()}, k)
    if not nps["suppressed"]:
        scores = list(nps_last.values())
        promoters = sum(1 for s in scores if s >= 9)
        detractors = sum(1 for s in scores if s <= 6)
        nps["value"] = round(100.0 * (promoters - detractors) / len(scores), 4)
    competence: dict[str, dict[str, Any]] = {}
    deltas: dict[tuple[str, str], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for (pair_id, topic, phase, side), level in truth.assessments.items():
        baseline = truth.assessments.get((pair_id, topic, "baseline", side))
        if phase == "final" and baseline is not None:
            deltas[topic, side][truth.person(pair_id, side)].append(float(level - baseline))
    for topic in sorted({t for (_, t, _, _) in truth.assessments}):
        competence[topic] = {
            "self_delta": _pooled(deltas[topic, "mentee"], k),
            "partner_delta": _pooled(deltas[topic, "mentor"], k),
        }
    ended = Counter(truth.ended.values())
    return {
        "sessions": sessions,
        "mentoring_seconds": 60.0 * sum(truth.held.values()),
        "feedback": feedback,
        "mqs": _pooled(mqs, k),
        "nps": nps,
        "competence": competence,
        "ended_pairs_by_reason": dict(ended),
    }
