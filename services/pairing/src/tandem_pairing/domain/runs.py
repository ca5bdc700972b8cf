"""A matching run's record: requested, computed in the background, then proposed or failed.

A run is a resource, not a request that waits: `POST .../matching-runs` answers 202 with the run
`queued`; a worker computes it from a consistent snapshot outside any transaction (`running`,
with its stage), stages the result in small transactions and publishes it in one short one
(`proposed`), or gives a reason (`failed`). A roster change that would invalidate the result
(a withdrawal, a departure, a proposal accepted meanwhile) makes the worker start again from a
fresh snapshot, at most `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from tandem_pairing.domain.matching import Objective, UnmatchedReason

MAX_ATTEMPTS = 3
"""Snapshots a run may take (a stale one or a worker lost mid-run uses one) before it fails."""


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    PROPOSED = "proposed"
    FAILED = "failed"


class RunStage(StrEnum):
    """Where a running run is."""

    LOADING = "loading"
    MATCHING = "matching"
    WRITING = "writing"
    """Staging the result, out of sight."""
    PUBLISHING = "publishing"
    """Checked and locked: moving the result in (a worker taking over finishes this)."""


PENDING = (RunStatus.QUEUED, RunStatus.RUNNING)


class MatchingRun(BaseModel):
    run_id: str
    program_id: str
    status: RunStatus = RunStatus.PROPOSED
    stage: RunStage | None = Field(default=None, description="while `running`")
    attempts: int = Field(default=0, description="snapshots taken so far")
    failure: str | None = Field(default=None, description="why the run failed (`failed`)")
    objective: Objective
    candidates_per_mentee: int = 50
    candidates_per_mentor: int = 20
    requested_by: str | None = None
    mentors: int = 0
    mentees: int = 0
    pinned: int = 0
    proposed: int = Field(default=0, description="pairs written; while `writing`, staged so far")
    unmatched_mentees: int = 0
    unmatched_by_reason: dict[str, int] = Field(default_factory=dict)
    total_score: float = 0.0
    average_score: float = 0.0
    certified_optimal: bool = Field(
        default=False,
        description="no other set of pairs scores higher under the program's rules (LP duality)",
    )
    score_upper_bound: float | None = Field(
        default=None,
        description="a proven bound on the best total score any pairing of the run's free "
        "participants could reach (None when the objective is not the score)",
    )
    optimality_gap: float | None = Field(
        default=None,
        description="(score_upper_bound - score of the new pairs) / score_upper_bound: how far "
        "from optimal the result can at most be; 0 when certified",
    )
    candidate_arcs: int = 0
    snapshot_seconds: float = Field(default=0.0, description="reading the program's snapshot")
    scoring_seconds: float = 0.0
    solving_seconds: float = 0.0
    writing_seconds: float = Field(
        default=0.0, description="staging and publishing the result (all transactions)"
    )
    auto_accepted: bool = False
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING


class UnmatchedEntry(BaseModel):
    entry_id: str
    run_id: str
    enrollment_id: str
    employee_id: str
    role: str
    reason: UnmatchedReason
    free_places: int
