"""Feedback on one held session: requested from both members, given once by each, reminded
once to whoever has not given it. Missed and cancelled sessions never get here."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pydantic import BaseModel

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import FeedbackReminderDue, FeedbackRequested, FeedbackSubmitted
from tandem_contracts.values import Role
from tandem_feedback.domain.errors import NotNow
from tandem_feedback.domain.members import side_of
from tandem_feedback.domain.pairs import PairRecord


class FeedbackEntry(BaseModel):
    feedback_id: str
    author_id: str
    rating: int
    usefulness: int
    comment: str | None = None
    """Free text: stays in this service, never published, never logged."""
    submitted_at: datetime


class SessionFeedback(Aggregate):
    session_id: str
    pair_id: str
    program_id: str
    held_at: datetime
    mentor_id: str | None = None
    """None until the pair is known (its PairCreated may arrive after the SessionHeld)."""
    mentee_id: str | None = None
    requested_at: datetime | None = None
    remind_at: datetime | None = None
    reminded: bool = False
    entries: dict[Role, FeedbackEntry] = {}
    wake_at: datetime | None = None

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def role_of(self, employee_id: str) -> Role | None:
        return side_of(employee_id, self.mentor_id, self.mentee_id)

    def member(self, role: Role) -> str:
        found = self.mentor_id if role is Role.MENTOR else self.mentee_id
        if found is None:
            raise NotNow("the pair of this session is not known yet")
        return found

    def request(self, pair: PairRecord, now: datetime, remind_after: timedelta) -> SessionFeedback:
        """Ask both members (once): reminded `remind_after` the session was held."""
        if self.requested:
            return self
        remind_at = max(self.held_at + remind_after, now)
        changed = self.model_copy(
            update={
                "mentor_id": pair.mentor_id,
                "mentee_id": pair.mentee_id,
                "requested_at": now,
                "remind_at": remind_at,
                "wake_at": remind_at,
            }
        )
        return changed.announcing(FeedbackRequested, requested_at=now)

    def submit(
        self,
        role: Role,
        *,
        rating: int,
        usefulness: int,
        comment: str | None,
        now: datetime,
    ) -> SessionFeedback:
        if role in self.entries:
            raise NotNow(f"the {role.value} has given feedback on this session already")
        entry = FeedbackEntry(
            feedback_id=f"fb-{uuid.uuid5(uuid.NAMESPACE_URL, f'{self.session_id}/{role.value}')}",
            author_id=self.member(role),
            rating=rating,
            usefulness=usefulness,
            comment=comment or None,
            submitted_at=now,
        )
        entries = {**self.entries, role: entry}
        wake = None if len(entries) == 2 or self.reminded else self.wake_at
        changed = self.model_copy(update={"entries": entries, "wake_at": wake})
        return changed.recording(
            FeedbackSubmitted(
                pair_id=self.pair_id,
                program_id=self.program_id,
                session_id=self.session_id,
                feedback_id=entry.feedback_id,
                author_role=role,
                rating=rating,
                usefulness=usefulness,
                commented=entry.comment is not None,
                submitted_at=now,
            )
        )

    def remind(self, now: datetime) -> SessionFeedback:
        """Once, when due, to those who have not answered."""
        if self.reminded or self.remind_at is None or now < self.remind_at:
            return self
        changed = self.model_copy(update={"reminded": True, "wake_at": None})
        pending = tuple(r for r in (Role.MENTOR, Role.MENTEE) if r not in self.entries)
        if not pending:
            return changed
        return changed.recording(
            FeedbackReminderDue(
                pair_id=self.pair_id,
                program_id=self.program_id,
                session_id=self.session_id,
                pending_roles=pending,
                pending_ids=tuple(self.member(r) for r in pending),
                due_at=self.remind_at,
            )
        )

    def renamed(self, employee_id: str, pseudonym: str) -> SessionFeedback:
        """Erasure: the pseudonym in place of the id, and both members' comments deleted (a
        partner's words may name the person)."""
        entries = {
            role: e.model_copy(
                update={
                    "author_id": pseudonym if e.author_id == employee_id else e.author_id,
                    "comment": None,
                }
            )
            for role, e in self.entries.items()
        }
        return self.model_copy(
            update={
                "mentor_id": pseudonym if self.mentor_id == employee_id else self.mentor_id,
                "mentee_id": pseudonym if self.mentee_id == employee_id else self.mentee_id,
                "entries": entries,
            }
        )
