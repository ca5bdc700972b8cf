"""Events of the scheduling service: one session of a pair's weekly series at a time."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field, model_validator

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime
from tandem_contracts.values import ProgramFormat

MAX_SESSION_SECONDS = 60 * 60


class _SessionEvent(Event, topic=topics.SCHEDULING, key="pair_id"):
    session_id: Identifier
    pair_id: Identifier
    program_id: Identifier


class _TimedSession(_SessionEvent):
    starts_at: UtcDatetime
    ends_at: UtcDatetime

    @model_validator(mode="after")
    def _at_most_an_hour(self) -> _TimedSession:
        length = (self.ends_at - self.starts_at).total_seconds()
        if length <= 0:
            raise ValueError("ends_at must be after starts_at")
        if length > MAX_SESSION_SECONDS:
            raise ValueError("a session lasts at most 60 minutes")
        return self


class SessionScheduled(_TimedSession, type="org.tandem.scheduling.session_scheduled.v1"):
    sequence: int = Field(ge=1, description="1 for the first session of the pair's series")
    format: ProgramFormat = ProgramFormat.ONE_TO_ONE
    meeting_id: Identifier | None = Field(
        default=None,
        description="Group and workshop sessions: shared by every pair meeting together",
    )


class SessionRescheduled(_TimedSession, type="org.tandem.scheduling.session_rescheduled.v1"):
    previous_starts_at: UtcDatetime


class CancellationReason(StrEnum):
    PAIR_ENDED = "pair_ended"
    PARTICIPANT_DEPARTED = "participant_departed"
    REQUESTED_BY_MENTOR = "requested_by_mentor"
    REQUESTED_BY_MENTEE = "requested_by_mentee"
    PROGRAM_CLOSED = "program_closed"
    REQUESTED_BY_PROGRAM_MANAGER = "requested_by_program_manager"
    NO_COMMON_TIME = "no_common_time"
    """A member's time-zone change left no time inside both availabilities that week."""


class SessionCancelled(_SessionEvent, type="org.tandem.scheduling.session_cancelled.v1"):
    reason: CancellationReason
    cancelled_at: UtcDatetime


class SessionHeld(_SessionEvent, type="org.tandem.scheduling.session_held.v1"):
    held_at: UtcDatetime
    duration_minutes: int = Field(ge=1, le=60)


class MissedBy(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"
    BOTH = "both"


class MissCause(StrEnum):
    REPORTED = "reported"
    """A member reported the partner absent."""
    UNCONFIRMED = "unconfirmed"
    """Nobody confirmed the session within the confirmation window after its end."""


class SessionMissed(_SessionEvent, type="org.tandem.scheduling.session_missed.v1"):
    missed_by: MissedBy
    scheduled_at: UtcDatetime
    cause: MissCause = MissCause.REPORTED


class UnschedulableReason(StrEnum):
    NO_COMMON_TIME = "no_common_time"
    """The members' availabilities do not overlap for a whole session in that week."""
    FULLY_BOOKED = "fully_booked"
    """They overlap, but every common time collides with another session of a member."""
    OUTSIDE_GROUP_TIME = "outside_group_time"
    """The group's meeting that week lies outside this pair's common time."""


class SessionUnschedulable(
    Event,
    type="org.tandem.scheduling.session_unschedulable.v1",
    topic=topics.SCHEDULING,
    key="pair_id",
):
    """A week of the pair's series got no session: reported, never invented, so the program
    manager can act (adjust availability, end or re-pair)."""

    session_id: Identifier = Field(description="The id the session would have had")
    pair_id: Identifier
    program_id: Identifier
    sequence: int = Field(ge=1)
    week_starts_on: date
    week_ends_on: date
    reason: UnschedulableReason
    reported_at: UtcDatetime


class SessionReminderDue(
    Event,
    type="org.tandem.scheduling.session_reminder_due.v1",
    topic=topics.SCHEDULING,
    key="pair_id",
):
    """For notification systems: the session starts soon (by default in 24 hours)."""

    session_id: Identifier
    pair_id: Identifier
    program_id: Identifier
    mentor_id: Identifier
    mentee_id: Identifier
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    due_at: UtcDatetime
