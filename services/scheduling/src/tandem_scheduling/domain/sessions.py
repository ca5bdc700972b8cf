"""One pair's session: scheduled, then moved, cancelled, held or missed.

A group or workshop meeting is one session per pair sharing a `meeting_id`, so attendance,
feedback and KPIs stay per pair while the calendar shows one meeting.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from tandem_contracts.aggregate import Aggregate
from tandem_contracts.events import (
    SessionCancelled,
    SessionHeld,
    SessionMissed,
    SessionReminderDue,
    SessionRescheduled,
    SessionScheduled,
)
from tandem_contracts.events.scheduling import CancellationReason, MissCause, MissedBy
from tandem_contracts.values import ProgramFormat, Role
from tandem_scheduling.domain.errors import SessionStateError
from tandem_scheduling.domain.spans import Span

IDS = uuid.UUID("6f1c3e0a-7d55-4c1e-9a55-0c1d2b3a4e5f")


def session_id(pair_id: str, sequence: int) -> str:
    """Stable: the same pair and week always name the same session (calendar UIDs rely on it)."""
    return f"ses-{uuid.uuid5(IDS, f'{pair_id}/{sequence}')}"


def meeting_id(series_id: str, sequence: int) -> str:
    return f"mtg-{uuid.uuid5(IDS, f'{series_id}/{sequence}')}"


@dataclass(frozen=True)
class Timing:
    """When the time-driven rules fire, relative to a session."""

    remind_before: timedelta = timedelta(hours=24)
    confirm_within: timedelta = timedelta(hours=48)
    """After the end: unconfirmed sessions are then reported missed."""


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    HELD = "held"
    MISSED = "missed"


class Outcome(StrEnum):
    HELD = "held"
    PARTNER_ABSENT = "partner_absent"


class AttendanceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    minutes: int | None = Field(default=None, ge=1, le=60)
    reported_at: datetime

    def same_as(self, other: AttendanceReport) -> bool:
        return (self.outcome, self.minutes) == (other.outcome, other.minutes)


class Session(Aggregate):
    session_id: str
    meeting_id: str | None = None
    series_id: str
    pair_id: str
    program_id: str
    format: ProgramFormat
    sequence: int
    mentor_id: str
    mentee_id: str
    mentor_time_zone: str
    mentee_time_zone: str
    participants: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus = SessionStatus.SCHEDULED
    revision: int = Field(default=0, description="Times moved (the calendar's SEQUENCE)")
    cancel_reason: CancellationReason | None = None
    cancelled_at: datetime | None = None
    cancel_note: str | None = None
    mentor_report: AttendanceReport | None = None
    mentee_report: AttendanceReport | None = None
    held_minutes: int | None = None
    missed_by: MissedBy | None = None
    miss_cause: MissCause | None = None
    reminder_at: datetime | None = None
    """When the reminder is due; None once sent or skipped."""
    reminded: bool = False
    """A reminder went out (a move does not send a second one: SessionRescheduled says it)."""
    confirm_by: datetime | None = None
    """When an unconfirmed session counts as missed; None once it has an outcome."""
    updated_at: datetime

    @classmethod
    def schedule(
        cls,
        *,
        series_id: str,
        meeting: str | None,
        pair_id: str,
        program_id: str,
        format: ProgramFormat,
        sequence: int,
        mentor: tuple[str, str],
        mentee: tuple[str, str],
        span: Span,
        timing: Timing,
        now: datetime,
    ) -> Session:
        """(`mentor` and `mentee` are employee id and time zone.)"""
        session = cls(
            session_id=session_id(pair_id, sequence),
            meeting_id=meeting,
            series_id=series_id,
            pair_id=pair_id,
            program_id=program_id,
            format=format,
            sequence=sequence,
            mentor_id=mentor[0],
            mentor_time_zone=mentor[1],
            mentee_id=mentee[0],
            mentee_time_zone=mentee[1],
            participants=(mentor[0], mentee[0]),
            starts_at=span.start,
            ends_at=span.end,
            reminder_at=span.start - timing.remind_before,
            confirm_by=span.end + timing.confirm_within,
            updated_at=now,
        )
        return session.announcing(SessionScheduled)

    @property
    def span(self) -> Span:
        return Span(self.starts_at, self.ends_at)

    def side_of(self, employee_id: str) -> Role | None:
        if employee_id == self.mentor_id:
            return Role.MENTOR
        if employee_id == self.mentee_id:
            return Role.MENTEE
        return None

    def is_upcoming(self, after: datetime) -> bool:
        return self.status is SessionStatus.SCHEDULED and self.starts_at > after

    def require_upcoming(self, action: str, after: datetime) -> None:
        if self.status is not SessionStatus.SCHEDULED:
            raise SessionStateError(f"the session is {self.status.value}; it cannot be {action}")
        if self.starts_at <= after:
            raise SessionStateError(f"the session has started already; it cannot be {action}")

    def reschedule(self, span: Span, timing: Timing, now: datetime) -> Session:
        self.require_upcoming("moved", now)
        moved = self.model_copy(
            update={
                "starts_at": span.start,
                "ends_at": span.end,
                "revision": self.revision + 1,
                "reminder_at": None if self.reminded else span.start - timing.remind_before,
                "confirm_by": span.end + timing.confirm_within,
                "updated_at": now,
            }
        )
        return moved.announcing(SessionRescheduled, previous_starts_at=self.starts_at)

    def cancel(
        self,
        reason: CancellationReason,
        now: datetime,
        *,
        since: datetime | None = None,
        note: str | None = None,
    ) -> Session:
        """Cancel a session still to come (`since`: to come after that instant, for an end
        that happened before it reached the calendar)."""
        self.require_upcoming("cancelled", now if since is None else since)
        cancelled = self.model_copy(
            update={
                "status": SessionStatus.CANCELLED,
                "cancel_reason": reason,
                "cancelled_at": now,
                "cancel_note": note,
                "revision": self.revision + 1,
                "reminder_at": None,
                "confirm_by": None,
                "updated_at": now,
            }
        )
        return cancelled.announcing(SessionCancelled, reason=reason)

    def report(self, side: Role, report: AttendanceReport, now: datetime) -> Session:
        """One side's account. The first account decides the outcome; a later one from the
        other side must agree with it; repeating one's own account changes nothing."""
        if self.status is SessionStatus.CANCELLED:
            raise SessionStateError("the session was cancelled; there is no attendance to report")
        if now < self.starts_at:
            raise SessionStateError("the session has not started yet")
        own = self.mentor_report if side is Role.MENTOR else self.mentee_report
        if own is not None:
            if own.same_as(report):
                return self
            raise SessionStateError(
                f"you reported {_told(own)} already; a different account is not accepted"
            )
        field = "mentor_report" if side is Role.MENTOR else "mentee_report"
        if self.status is SessionStatus.SCHEDULED:
            return self._decide(side, report, field, now)
        self._require_agreement(side, report)
        return self.model_copy(update={field: report, "updated_at": now})

    def _decide(self, side: Role, report: AttendanceReport, field: str, now: datetime) -> Session:
        changes: dict[str, object] = {field: report, "confirm_by": None, "updated_at": now}
        if report.outcome is Outcome.HELD:
            changes.update(status=SessionStatus.HELD, held_minutes=report.minutes)
            held = self.model_copy(update=changes)
            return held.announcing(
                SessionHeld, held_at=self.starts_at, duration_minutes=report.minutes
            )
        absent = MissedBy.MENTEE if side is Role.MENTOR else MissedBy.MENTOR
        changes.update(status=SessionStatus.MISSED, missed_by=absent, miss_cause=MissCause.REPORTED)
        missed = self.model_copy(update=changes)
        return missed.announcing(
            SessionMissed, scheduled_at=self.starts_at, cause=MissCause.REPORTED
        )

    def _require_agreement(self, side: Role, report: AttendanceReport) -> None:
        if self.miss_cause is MissCause.UNCONFIRMED:
            raise SessionStateError(
                "the session was reported missed: nobody confirmed it in time after its end"
            )
        if self.status is SessionStatus.HELD and report.outcome is Outcome.HELD:
            return
        partner_said = "held" if self.status is SessionStatus.HELD else "that you were absent"
        raise SessionStateError(f"your partner reported {partner_said}; the accounts disagree")

    def renamed(self, employee_id: str, pseudonym: str) -> Session:
        """Erasure: the person becomes `pseudonym`, their zone is forgotten (UTC)."""
        changes: dict[str, object] = {
            "participants": tuple(pseudonym if p == employee_id else p for p in self.participants)
        }
        if self.mentor_id == employee_id:
            changes.update(mentor_id=pseudonym, mentor_time_zone="UTC")
        if self.mentee_id == employee_id:
            changes.update(mentee_id=pseudonym, mentee_time_zone="UTC")
        return self.model_copy(update=changes)

    def remind(self, now: datetime) -> Session:
        """The reminder, once; skipped silently if the session has begun meanwhile (downtime)."""
        due = self.reminder_at
        done = self.model_copy(update={"reminder_at": None, "updated_at": now})
        if due is None or self.status is not SessionStatus.SCHEDULED or now >= self.starts_at:
            return done
        sent = done.model_copy(update={"reminded": True})
        return sent.announcing(SessionReminderDue, due_at=due)

    def expire(self, now: datetime) -> Session:
        """Nobody confirmed within the window: missed by both, cause `unconfirmed`."""
        if self.status is not SessionStatus.SCHEDULED:
            return self.model_copy(update={"confirm_by": None, "updated_at": now})
        missed = self.model_copy(
            update={
                "status": SessionStatus.MISSED,
                "missed_by": MissedBy.BOTH,
                "miss_cause": MissCause.UNCONFIRMED,
                "confirm_by": None,
                "reminder_at": None,
                "updated_at": now,
            }
        )
        return missed.announcing(
            SessionMissed, scheduled_at=self.starts_at, cause=MissCause.UNCONFIRMED
        )


def _told(report: AttendanceReport) -> str:
    if report.outcome is Outcome.HELD:
        return f"the session held ({report.minutes} minutes)"
    return "your partner absent"
