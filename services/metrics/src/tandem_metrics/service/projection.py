"""The projection: each event sets its own fields of the fact it concerns (see `facts`), so a
redelivered, repeated or reordered event leaves the same facts. Datetimes are kept exactly
(as ISO strings: the KPIs compare them to the microsecond, as the oracle does)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from tandem_contracts import Event
from tandem_contracts.events import (
    CompetenceAssessed,
    EmployeeDeparted,
    EmployeeHired,
    FeedbackRequested,
    FeedbackSubmitted,
    GoalAchieved,
    GoalSet,
    PairCreated,
    PairDeclined,
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
    SessionUnschedulable,
    SurveyAnswered,
)
from tandem_metrics.service.ports import Fields, Merge, MetricsUnitOfWork

PEOPLE_FIELDS = ("employee_id", "mentor_id", "mentee_id")
PEOPLE_KINDS = ("employees", "enrollments", "pairs")
"""The kinds of fact that name people (each written by one topic's consumer only)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _fields(**values: Any) -> Fields:
    return {k: _plain(v) for k, v in values.items()}


def merges_of(event: Event) -> list[Merge]:
    """The fact fields an event sets; none for an event the KPIs do not use."""
    match event:
        case ProgramOpened():
            return [
                (
                    "programs",
                    event.program_id,
                    _fields(
                        program_id=event.program_id,
                        starts_on=event.starts_on,
                        ends_on=event.ends_on,
                        cadence_weeks=event.cadence_weeks,
                        manager_ids=event.manager_ids,
                    ),
                )
            ]
        case ProgramClosed():
            fields = _fields(program_id=event.program_id, closed_at=event.closed_at)
            return [("programs", event.program_id, fields)]
        case ParticipantEnrolled() | ParticipantWithdrawn():
            when = (
                {"enrolled_at": event.enrolled_at}
                if isinstance(event, ParticipantEnrolled)
                else {"withdrawn_at": event.withdrawn_at}
            )
            fields = _fields(
                enrollment_id=event.enrollment_id,
                program_id=event.program_id,
                employee_id=event.employee_id,
                role=event.role.value,
                **when,
            )
            return [("enrollments", event.enrollment_id, fields)]
        case PairCreated():
            fields = _fields(
                pair_id=event.pair_id,
                program_id=event.program_id,
                mentor_id=event.mentor.employee_id,
                mentee_id=event.mentee.employee_id,
                mentee_enrollment_id=event.mentee.enrollment_id,
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                cadence_weeks=event.cadence_weeks,
                created_at=event.created_at,
            )
            return [("pairs", event.pair_id, fields)]
        case PairDeclined():
            fields = _fields(
                pair_id=event.pair_id, program_id=event.program_id, declined_at=event.declined_at
            )
            return [("pairs", event.pair_id, fields)]
        case PairEnded():
            fields = _fields(
                pair_id=event.pair_id,
                program_id=event.program_id,
                ended_at=event.ended_at,
                end_reason=event.reason.value,
            )
            return [("pairs", event.pair_id, fields)]
        case SessionScheduled() | SessionRescheduled():
            extra = {"scheduled": True} if isinstance(event, SessionScheduled) else {}
            return [_session(event, starts_at=event.starts_at, **extra)]
        case SessionCancelled():
            return [_session(event, cancelled_at=event.cancelled_at)]
        case SessionHeld():
            return [_session(event, held_at=event.held_at, held_minutes=event.duration_minutes)]
        case SessionMissed():
            return [_session(event, missed=True)]
        case SessionUnschedulable():
            return [_session(event, unschedulable=True)]
        case FeedbackRequested():  # its own kind: only scheduling's consumer writes sessions
            fields = _fields(
                session_id=event.session_id, pair_id=event.pair_id, program_id=event.program_id
            )
            return [("requests", event.session_id, fields)]
        case FeedbackSubmitted():
            key = f"{event.session_id}|{event.author_role.value}"
            fields = _fields(
                feedback_key=key,
                session_id=event.session_id,
                pair_id=event.pair_id,
                program_id=event.program_id,
                role=event.author_role.value,
                rating=event.rating,
                usefulness=event.usefulness,
            )
            return [("feedback", key, fields)]
        case SurveyAnswered():
            key = f"{event.survey_id}|{event.respondent_role.value}"
            fields = _fields(
                answer_key=key,
                survey_id=event.survey_id,
                pair_id=event.pair_id,
                program_id=event.program_id,
                kind=event.kind.value,
                role=event.respondent_role.value,
                score=event.score,
                answered_at=event.answered_at,
            )
            return [("answers", key, fields)]
        case GoalSet() | GoalAchieved():
            extra = {"achieved": True} if isinstance(event, GoalAchieved) else {}
            fields = _fields(
                goal_id=event.goal_id,
                pair_id=event.pair_id,
                program_id=event.program_id,
                owner_role=event.owner_role.value,
                **extra,
            )
            return [("goals", event.goal_id, fields)]
        case CompetenceAssessed():
            role = event.assessor_role.value
            key = f"{event.pair_id}|{event.topic_name}|{event.phase.value}|{role}"
            fields = _fields(
                assessment_key=key,
                pair_id=event.pair_id,
                program_id=event.program_id,
                topic_name=event.topic_name,
                phase=event.phase.value,
                role=role,
                level=event.level,
            )
            return [("assessments", key, fields)]
        case EmployeeHired():
            fields = _fields(employee_id=event.employee_id, hired_on=event.hired_on)
            return [("employees", event.employee_id, fields)]
        case EmployeeDeparted():
            fields = _fields(employee_id=event.employee_id, departed_on=event.departed_on)
            return [("employees", event.employee_id, fields)]
    return []


def _session(
    event: SessionScheduled
    | SessionRescheduled
    | SessionCancelled
    | SessionHeld
    | SessionMissed
    | SessionUnschedulable,
    **values: Any,
) -> Merge:
    fields = _fields(
        session_id=event.session_id, pair_id=event.pair_id, program_id=event.program_id, **values
    )
    return ("sessions", event.session_id, fields)


async def apply(events: Iterable[Event], uow: MetricsUnitOfWork) -> None:
    """Every event's merges in order, in one round per batch; people erased before (an HR record
    or a pair announced before the erasure, or a replay) appear under their pseudonym."""
    merges = [m for event in events for m in merges_of(event)]
    people = {m[2][f] for m in merges for f in PEOPLE_FIELDS if f in m[2]}
    if people:  # an erasure running alongside conflicts and waits
        await uow.lock_people(people, {m[0] for m in merges if m[0] in PEOPLE_KINDS})
    renames = await uow.pseudonyms_of(people)
    if renames:
        merges = [_renamed(m, renames) for m in merges]
    await uow.facts.merge_many(merges)


def _renamed(merge: Merge, renames: dict[str, str]) -> Merge:
    kind, key, fields = merge
    fields = {k: renames.get(v, v) if k in PEOPLE_FIELDS else v for k, v in fields.items()}
    return kind, renames.get(key, key) if kind == "employees" else key, fields
