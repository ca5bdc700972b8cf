"""Every event model, grouped by the stream that carries it."""

from tandem_contracts.events.feedback import CompetenceAssessed, FeedbackSubmitted
from tandem_contracts.events.hr import (
    EmployeeDeparted,
    EmployeeErasureRequested,
    EmployeeHired,
    EmployeeUpdated,
)
from tandem_contracts.events.pairing import (
    PairCreated,
    PairEnded,
    PairEndReason,
    PairMember,
    ParticipantEnrolled,
    ParticipantWithdrawn,
    ProgramClosed,
    ProgramOpened,
    TopicExpertise,
    TopicGoal,
)
from tandem_contracts.events.privacy import PersonalDataErased
from tandem_contracts.events.scheduling import (
    SessionCancelled,
    SessionHeld,
    SessionMissed,
    SessionReminderDue,
    SessionRescheduled,
    SessionScheduled,
    SessionUnschedulable,
)

__all__ = [
    "CompetenceAssessed",
    "EmployeeDeparted",
    "EmployeeErasureRequested",
    "EmployeeHired",
    "EmployeeUpdated",
    "FeedbackSubmitted",
    "PairCreated",
    "PairEndReason",
    "PairEnded",
    "PairMember",
    "ParticipantEnrolled",
    "ParticipantWithdrawn",
    "PersonalDataErased",
    "ProgramClosed",
    "ProgramOpened",
    "SessionCancelled",
    "SessionHeld",
    "SessionMissed",
    "SessionReminderDue",
    "SessionRescheduled",
    "SessionScheduled",
    "SessionUnschedulable",
    "TopicExpertise",
    "TopicGoal",
]
