"""The matching engine (pure domain code): see `engine.match` and `engine.suggest_mentors`."""

from tandem_pairing.domain.matching.engine import (
    InvalidPin,
    breakdown,
    match,
    suggest_mentees,
    suggest_mentors,
)
from tandem_pairing.domain.matching.model import (
    MatchingProblem,
    MatchingResult,
    MatchingRules,
    MatchingWeights,
    Objective,
    Participant,
    Pin,
    ProposedPair,
    ScoreBreakdown,
    SeniorityBasis,
    Unmatched,
    UnmatchedReason,
)

__all__ = [
    "InvalidPin",
    "MatchingProblem",
    "MatchingResult",
    "MatchingRules",
    "MatchingWeights",
    "Objective",
    "Participant",
    "Pin",
    "ProposedPair",
    "ScoreBreakdown",
    "SeniorityBasis",
    "Unmatched",
    "UnmatchedReason",
    "breakdown",
    "match",
    "suggest_mentees",
    "suggest_mentors",
]
