"""Events of the scheduling service: one session of a pair's weekly series at a time."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from tandem_contracts import topics
from tandem_contracts.base import Event, Identifier, UtcDatetime

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


class SessionRescheduled(_TimedSession, type="org.tandem.scheduling.session_rescheduled.v1"):
    previous_starts_at: UtcDatetime


class CancellationReason(StrEnum):
    PAIR_ENDED = "pair_ended"
    PARTICIPANT_DEPARTED = "participant_departed"
    REQUESTED_BY_MENTOR = "requested_by_mentor"
    REQUESTED_BY_MENTEE = "requested_by_mentee"
    PROGRAM_CLOSED = "program_closed"


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


class SessionMissed(_SessionEvent, type="org.tandem.scheduling.session_missed.v1"):
    missed_by: MissedBy
    scheduled_at: UtcDatetime
