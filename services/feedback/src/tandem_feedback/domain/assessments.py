"""Competence assessment rounds: baseline, midpoint and final, each answered twice (the
mentee's view of themselves, the mentor's view of the mentee), one level per pair topic."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from tandem_contracts.events import (
    AssessmentDue,
    AssessmentOverdue,
    AssessmentPhase,
    CompetenceAssessed,
)
from tandem_contracts.values import Role
from tandem_feedback.domain.checkpoints import Checkpoint, WindowStatus
from tandem_feedback.domain.errors import InvalidSubmission, NotNow

RUBRIC: dict[int, str] = {
    1: "Aware: has heard of it, has not used it",
    2: "Beginner: has tried it with help",
    3: "Practitioner: uses it alone for everyday tasks",
    4: "Advanced: uses it confidently, solves unusual problems",
    5: "Expert: could teach it to others",
}
"""What each level means, shown with every round so both views use the same scale."""


class TopicLevel(BaseModel):
    topic_name: str
    level: int = Field(ge=1, le=5)
    note: str | None = None
    """The assessor's own words; never published."""


class AssessmentAnswer(BaseModel):
    assessor_id: str
    levels: tuple[TopicLevel, ...]
    submitted_at: datetime
    late: bool


def round_id(pair_id: str, phase: AssessmentPhase) -> str:
    return f"{pair_id}.{phase.value}"


class AssessmentRound(Checkpoint):
    round_id: str
    phase: AssessmentPhase
    topics: tuple[str, ...]
    due_at: datetime
    answers: dict[Role, AssessmentAnswer] = {}
    overdue_reported: bool = False

    def answered_by(self) -> set[Role]:
        return set(self.answers)

    def open(
        self, now: datetime, due_in: timedelta, *, not_before: datetime | None = None
    ) -> AssessmentRound:
        """Open now (if still planned) and ask both members; due `due_in` from now, or from
        `not_before` when that is later (a baseline asked before the pair's first day)."""
        if self.status is not WindowStatus.PLANNED:
            return self
        due = max(now, not_before or now) + due_in
        opened = self.model_copy(
            update={"status": WindowStatus.OPEN, "opens_at": now, "due_at": due, "wake_at": due}
        )
        return opened.announcing(AssessmentDue, opened_at=now)

    def move(self, opens_at: datetime) -> AssessmentRound:
        """A planned round opens at another time (the final, when the pair ends early)."""
        if self.status is not WindowStatus.PLANNED:
            return self
        return self.model_copy(update={"opens_at": opens_at, "wake_at": opens_at})

    def submit(
        self, role: Role, assessor_id: str, levels: tuple[TopicLevel, ...], now: datetime
    ) -> AssessmentRound:
        if not self.is_opened_by(now):
            what = "was dropped" if self.status is WindowStatus.CANCELLED else "is not open yet"
            raise NotNow(f"the {self.phase.value} assessment {what}")
        if role in self.answers:
            raise NotNow(f"the {role.value} has given the {self.phase.value} assessment already")
        _check_topics(levels, self.topics)
        late = now > self.due_at
        answer = AssessmentAnswer(
            assessor_id=assessor_id, levels=levels, submitted_at=now, late=late
        )
        answers = {**self.answers, role: answer}
        changed = self.model_copy(update={"answers": answers, "wake_at": self._next_wake(answers)})
        events = [
            CompetenceAssessed(
                pair_id=self.pair_id,
                program_id=self.program_id,
                assessment_id=_assessment_id(self.round_id, role, t.topic_name),
                employee_id=self.mentee_id,
                assessor_role=role,
                topic_name=t.topic_name,
                phase=self.phase,
                level=t.level,
                late=late,
                assessed_at=now,
            )
            for t in levels
        ]
        return changed.recording(*events)

    def report_overdue(self, now: datetime) -> AssessmentRound:
        """Once, after the due date, naming who has not assessed."""
        pending = self.pending_roles()
        if self.status is not WindowStatus.OPEN or self.overdue_reported or now < self.due_at:
            return self
        changed = self.model_copy(update={"overdue_reported": True, "wake_at": None})
        if not pending:
            return changed
        return changed.announcing(
            AssessmentOverdue,
            pending_roles=pending,
            pending_ids=tuple(self.member(r) for r in pending),
            reported_at=now,
        )

    def _renamed_answers(self, employee_id: str, pseudonym: str) -> dict[str, object]:
        answers = {
            role: a.model_copy(
                update={
                    "assessor_id": pseudonym if a.assessor_id == employee_id else a.assessor_id,
                    "levels": tuple(t.model_copy(update={"note": None}) for t in a.levels),
                }
            )
            for role, a in self.answers.items()
        }
        return {"answers": answers}

    def _next_wake(self, answers: dict[Role, AssessmentAnswer]) -> datetime | None:
        complete = len(answers) == 2
        return None if complete or self.overdue_reported else self.due_at


def _assessment_id(round_of: str, role: Role, topic: str) -> str:
    return f"asm-{uuid.uuid5(uuid.NAMESPACE_URL, f'{round_of}/{role.value}/{topic}')}"


def _check_topics(levels: tuple[TopicLevel, ...], topics: tuple[str, ...]) -> None:
    """Each of the pair's topics exactly once, nothing else."""
    seen: set[str] = set()
    for n, item in enumerate(levels):
        if item.topic_name not in topics:
            raise InvalidSubmission(f"levels.{n}.topic_name", "not one of the pair's topics")
        if item.topic_name in seen:
            raise InvalidSubmission(f"levels.{n}.topic_name", "assessed twice")
        seen.add(item.topic_name)
    missing = [t for t in topics if t not in seen]
    if missing:
        raise InvalidSubmission(
            "levels", f"assess every topic of the pair ({len(missing)} missing)"
        )


def new_rounds(
    *,
    pair_id: str,
    program_id: str,
    mentor_id: str,
    mentee_id: str,
    topics: tuple[str, ...],
    opens: dict[AssessmentPhase, datetime],
    due_in: timedelta,
) -> list[AssessmentRound]:
    """The pair's three rounds, planned at the given openings (the ticker opens them)."""
    return [
        AssessmentRound(
            round_id=round_id(pair_id, phase),
            pair_id=pair_id,
            program_id=program_id,
            mentor_id=mentor_id,
            mentee_id=mentee_id,
            phase=phase,
            topics=topics,
            opens_at=at,
            due_at=at + due_in,
            wake_at=at,
        )
        for phase, at in opens.items()
    ]
