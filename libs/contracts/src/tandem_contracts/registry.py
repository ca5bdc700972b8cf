"""Which model a `ce_type` names."""

from __future__ import annotations

from tandem_contracts.base import Event
from tandem_contracts.events import (
    CompetenceAssessed,
    EmployeeDeparted,
    EmployeeHired,
    EmployeeUpdated,
    FeedbackSubmitted,
    PairCreated,
    PairEnded,
    ParticipantEnrolled,
    ParticipantWithdrawn,
    ProgramClosed,
    ProgramOpened,
    SessionCancelled,
    SessionHeld,
    SessionMissed,
    SessionRescheduled,
    SessionScheduled,
)

EVENT_MODELS: tuple[type[Event], ...] = (
    EmployeeHired,
    EmployeeUpdated,
    EmployeeDeparted,
    ProgramOpened,
    ProgramClosed,
    ParticipantEnrolled,
    ParticipantWithdrawn,
    PairCreated,
    PairEnded,
    SessionScheduled,
    SessionRescheduled,
    SessionCancelled,
    SessionHeld,
    SessionMissed,
    FeedbackSubmitted,
    CompetenceAssessed,
)

EVENTS_BY_TYPE: dict[str, type[Event]] = {m.event_type: m for m in EVENT_MODELS}
if len(EVENTS_BY_TYPE) != len(EVENT_MODELS):  # pragma: no cover - guards the table above
    raise RuntimeError("two event models share a ce_type")


def model_for(event_type: str) -> type[Event] | None:
    """The model registered for `event_type`, or None when no Tandem contract defines it."""
    return EVENTS_BY_TYPE.get(event_type)
