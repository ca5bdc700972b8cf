"""A matching run's record: what was proposed, who stayed unmatched and why, how long it took."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tandem_pairing.domain.matching import Objective, UnmatchedReason


class MatchingRun(BaseModel):
    run_id: str
    program_id: str
    objective: Objective
    mentors: int
    mentees: int
    pinned: int
    proposed: int
    unmatched_mentees: int
    unmatched_by_reason: dict[str, int]
    total_score: float
    average_score: float
    candidate_arcs: int
    scoring_seconds: float
    solving_seconds: float
    auto_accepted: bool
    created_at: datetime


class UnmatchedEntry(BaseModel):
    entry_id: str
    run_id: str
    enrollment_id: str
    employee_id: str
    role: str
    reason: UnmatchedReason
    free_places: int
