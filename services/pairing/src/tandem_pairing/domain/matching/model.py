"""What the matching engine takes and gives: plain, immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from tandem_pairing.domain.matching.availability import Intervals, bitset_intervals

MAX_PRICING_ROUNDS = 8
FULL_PRICING_PAIRS = 250_000_000


class Objective(StrEnum):
    MAX_SCORE = "max_score"
    """The largest total score, with every capacity respected."""
    MAX_MATCHED = "max_matched"
    """As many matched mentees as possible first, then the largest total score among those."""


class SeniorityBasis(StrEnum):
    JOB_LEVEL = "job_level"
    BIRTH_YEAR = "birth_year"


@dataclass(frozen=True)
class MatchingWeights:
    topic: float = 1.0
    availability: float = 0.25
    cross_department: float = 0.25
    preference: float = 0.25
    """Bonus when either side named the other as a preferred partner."""


@dataclass(frozen=True)
class MatchingRules:
    """Hard constraints a program can tune; shared language and reporting line are fixed."""

    seniority_basis: SeniorityBasis = SeniorityBasis.JOB_LEVEL
    min_seniority_gap: int = 1
    """Mentee's job level minus mentor's, or mentor's birth year minus mentee's, at least this."""
    allow_same_manager: bool = False
    allow_same_team: bool = False
    require_shared_topic: bool = True
    min_common_minutes: int = 60


@dataclass(frozen=True)
class Participant:
    """One enrolled person as the engine sees them.

    `free_minutes` holds, per DST regime of the program (the same regimes for everyone in one
    problem), the person's free UTC minutes of the week as sorted, merged intervals (0 = Monday
    00:00 UTC): feasibility and common minutes are exact on these, in every regime.
    `availability_utc` is the coarse 336-bit bitset of UTC half-hours any regime touches (the
    engine's cheap pre-check); given alone, it also stands for the exact form (one regime).
    `topics` maps a topic to the mentor's expertise level or the mentee's goal priority (1..5);
    `reporting_chain` lists the employee's managers, nearest first.
    """

    enrollment_id: str
    employee_id: str
    department: str
    team: str | None
    manager_id: str | None
    reporting_chain: tuple[str, ...]
    job_level: int
    birth_year: int | None
    languages: frozenset[str]
    availability_utc: int
    topics: dict[str, int]
    capacity: int = 1
    avoid: frozenset[str] = frozenset()
    """Employee ids this person must not be paired with (either side's wish is enough)."""
    prefer: frozenset[str] = frozenset()
    """Employee ids this person would like to be paired with."""
    free_minutes: tuple[Intervals, ...] | None = None

    @property
    def regimes(self) -> tuple[Intervals, ...]:
        """The exact free minutes per regime (from the coarse bitset when none were given)."""
        if self.free_minutes is not None:
            return self.free_minutes
        return (bitset_intervals(self.availability_utc),)


@dataclass(frozen=True)
class Pin:
    """A pair kept from an earlier run: only the rest is re-matched."""

    mentor_enrollment_id: str
    mentee_enrollment_id: str


@dataclass(frozen=True)
class MatchingProblem:
    mentors: tuple[Participant, ...]
    mentees: tuple[Participant, ...]
    weights: MatchingWeights = MatchingWeights()
    rules: MatchingRules = MatchingRules()
    objective: Objective = Objective.MAX_SCORE
    pinned: tuple[Pin, ...] = ()
    candidates_per_mentee: int = 50
    candidates_per_mentor: int = 20
    pricing_rounds: int | None = None
    """Rounds that look for improving pairs outside the candidate graph (max-score objective).

    None: until certified optimal (at most `MAX_PRICING_ROUNDS`) when mentees x mentors is at
    most `FULL_PRICING_PAIRS`, else one round (at 100k employees: ~10 s more, 98.7% -> 99.95%
    of the certified optimum). Depends only on the input, so results stay deterministic.
    """
    pricing_candidates: int = 8

    def effective_pricing_rounds(self) -> int:
        if self.pricing_rounds is not None:
            return self.pricing_rounds
        pairs = len(self.mentors) * len(self.mentees)
        return MAX_PRICING_ROUNDS if pairs <= FULL_PRICING_PAIRS else 1


@dataclass(frozen=True)
class ScoreBreakdown:
    """Each criterion's raw value in [0, 1] and the weighted total."""

    topic_fit: float
    availability: float
    cross_department: float
    preference: float
    total: float
    common_minutes: int
    shared_topics: tuple[str, ...]


@dataclass(frozen=True)
class ProposedPair:
    mentor_enrollment_id: str
    mentee_enrollment_id: str
    breakdown: ScoreBreakdown
    pinned: bool = False


class UnmatchedReason(StrEnum):
    NO_SHARED_LANGUAGE = "no_shared_language"
    SENIORITY_GAP = "seniority_gap"
    NO_COMMON_TIME = "no_common_time"
    NO_SHARED_TOPIC = "no_shared_topic"
    ORGANISATIONAL_CONFLICT = "organisational_conflict"
    """Every otherwise suitable partner is in the reporting line or shares manager or team."""
    AVOIDED_BY_PREFERENCE = "avoided_by_preference"
    """The only otherwise suitable partners were ruled out by an `avoid` wish (either side's)."""
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    """Suitable mentors exist, but their places went to mentees with fewer or weaker options."""
    NO_MENTEES_LEFT = "no_mentees_left"
    """A mentor with free places whose suitable mentees were all matched elsewhere."""
    NO_COUNTERPARTS = "no_counterparts"
    """Nobody enrolled on the other side."""


@dataclass(frozen=True)
class Unmatched:
    enrollment_id: str
    role: str
    reason: UnmatchedReason
    free_places: int = 1


@dataclass(frozen=True)
class MatchingStats:
    candidate_arcs: int
    scoring_seconds: float
    solving_seconds: float
    pricing_rounds: int = 0
    certified_optimal: bool = False
    """No pair outside the graph can improve the result (LP duality), up to solver rounding."""
    free_score: float = 0.0
    """Total score of the pairs this run chose (the pinned ones excluded)."""
    upper_bound: float | None = None
    """A proven bound on `free_score` over every feasible assignment (max-score objective with
    at least one pricing round; None otherwise)."""


@dataclass(frozen=True)
class MatchingResult:
    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[Unmatched, ...]
    total_score: float
    stats: MatchingStats = field(compare=False)
