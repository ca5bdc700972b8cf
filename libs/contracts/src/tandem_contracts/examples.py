"""One valid example of every event: for tests, docs and integrators checking their producers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from tandem_contracts import events as ev
from tandem_contracts.base import Event
from tandem_contracts.events.feedback import AssessmentPhase
from tandem_contracts.events.scheduling import (
    CancellationReason,
    MissCause,
    MissedBy,
    UnschedulableReason,
)
from tandem_contracts.values import (
    Availability,
    Generation,
    ProgramFormat,
    Role,
    Weekday,
    WeeklySlot,
)

AT = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
BERLIN_MORNINGS = Availability(
    time_zone="Europe/Berlin",
    slots=(WeeklySlot(weekday=Weekday.MONDAY, start=time(9), end=time(11)),),
)


def example_events() -> list[Event]:
    """A valid instance of each registered event type."""
    mentor = ev.PairMember(
        employee_id="e-100",
        enrollment_id="en-1",
        languages=("de", "en"),
        availability=BERLIN_MORNINGS,
    )
    mentee = ev.PairMember(
        employee_id="e-200", enrollment_id="en-2", languages=("de",), availability=BERLIN_MORNINGS
    )
    hr_fields = {
        "employee_id": "e-100",
        "manager_id": "e-900",
        "department": "Marketing",
        "team": "Social",
        "job_level": 2,
        "birth_year": 2001,
        "generation": Generation.GEN_Z,
        "languages": ("de", "en"),
        "location": "Berlin",
        "time_zone": "Europe/Berlin",
        "effective_at": AT,
    }
    session = {"session_id": "s-1", "pair_id": "p-1", "program_id": "prog-1"}
    pair = {"pair_id": "p-1", "program_id": "prog-1"}
    return [
        ev.EmployeeHired(**hr_fields, hired_on=date(2024, 9, 1)),
        ev.EmployeeUpdated(**{**hr_fields, "job_level": 3}),
        ev.EmployeeDeparted(employee_id="e-100", departed_on=date(2027, 3, 31), effective_at=AT),
        ev.EmployeeErasureRequested(employee_id="e-100", request_id="era-1", requested_at=AT),
        ev.PersonalDataErased(request_id="era-1", service="pairing", records=7, erased_at=AT),
        ev.ProgramOpened(
            program_id="prog-1",
            name="Digital Leadership 2027",
            starts_on=date(2027, 1, 11),
            ends_on=date(2027, 7, 9),
            duration_weeks=26,
            cadence_weeks=1,
            session_minutes=45,
            format=ProgramFormat.ONE_TO_ONE,
            topics=("ai_tools", "social_media", "agile"),
            manager_ids=("e-900",),
            opened_at=AT,
        ),
        ev.ProgramClosed(program_id="prog-1", closed_at=AT),
        ev.ParticipantWithdrawn(
            program_id="prog-1",
            enrollment_id="en-1",
            employee_id="e-100",
            role=Role.MENTOR,
            withdrawn_at=AT,
        ),
        ev.ParticipantEnrolled(
            program_id="prog-1",
            enrollment_id="en-1",
            employee_id="e-100",
            role=Role.MENTOR,
            expertise=(ev.TopicExpertise(topic="ai_tools", level=4),),
            languages=("de", "en"),
            availability=BERLIN_MORNINGS,
            capacity=2,
            enrolled_at=AT,
        ),
        ev.PairCreated(
            pair_id="p-1",
            program_id="prog-1",
            mentor=mentor,
            mentee=mentee,
            topics=("ai_tools",),
            cadence_weeks=1,
            session_minutes=45,
            starts_on=date(2027, 1, 11),
            ends_on=date(2027, 7, 9),
            score=0.82,
            created_at=AT,
        ),
        ev.PairDeclined(
            pair_id="p-2", program_id="prog-1", declined_by=Role.MENTEE, declined_at=AT
        ),
        ev.PairEnded(
            pair_id="p-1",
            program_id="prog-1",
            mentor_id="e-100",
            mentee_id="e-200",
            reason=ev.PairEndReason.PARTICIPANT_DEPARTED,
            ended_at=AT,
        ),
        ev.SessionScheduled(**session, starts_at=AT, ends_at=AT.replace(minute=45), sequence=1),
        ev.SessionRescheduled(
            **session,
            starts_at=AT.replace(hour=10),
            ends_at=AT.replace(hour=10, minute=45),
            previous_starts_at=AT,
        ),
        ev.SessionCancelled(**session, reason=CancellationReason.PAIR_ENDED, cancelled_at=AT),
        ev.SessionHeld(**session, held_at=AT, duration_minutes=45),
        ev.SessionMissed(**session, missed_by=MissedBy.MENTEE, scheduled_at=AT),
        ev.SessionMissed(
            **session, missed_by=MissedBy.BOTH, scheduled_at=AT, cause=MissCause.UNCONFIRMED
        ),
        ev.SessionUnschedulable(
            **session,
            sequence=2,
            week_starts_on=date(2027, 1, 18),
            week_ends_on=date(2027, 1, 24),
            reason=UnschedulableReason.NO_COMMON_TIME,
            reported_at=AT,
        ),
        ev.SessionReminderDue(
            **session,
            mentor_id="e-100",
            mentee_id="e-200",
            starts_at=AT,
            ends_at=AT.replace(minute=45),
            due_at=AT.replace(day=10),
        ),
        ev.GoalSet(
            **pair,
            goal_id="g-1",
            owner_role=Role.MENTEE,
            topic_name="ai_tools",
            target_level=4,
            milestones=2,
            revision=1,
            set_at=AT,
        ),
        ev.GoalProgressed(
            **pair,
            goal_id="g-1",
            owner_role=Role.MENTEE,
            milestone_id="m-1",
            milestones_done=1,
            milestones_total=2,
            progressed_at=AT,
        ),
        ev.GoalAchieved(**pair, goal_id="g-1", owner_role=Role.MENTEE, achieved_at=AT),
        ev.FeedbackRequested(
            **pair,
            session_id="s-1",
            mentor_id="e-100",
            mentee_id="e-200",
            held_at=AT,
            remind_at=AT.replace(day=13),
            requested_at=AT,
        ),
        ev.FeedbackReminderDue(
            **pair,
            session_id="s-1",
            pending_roles=(Role.MENTOR,),
            pending_ids=("e-100",),
            due_at=AT.replace(day=13),
        ),
        ev.FeedbackSubmitted(
            **pair,
            feedback_id="f-1",
            session_id="s-1",
            author_role=Role.MENTEE,
            rating=5,
            usefulness=4,
            commented=True,
            submitted_at=AT,
        ),
        ev.AssessmentDue(
            **pair,
            phase=AssessmentPhase.BASELINE,
            mentor_id="e-100",
            mentee_id="e-200",
            topics=("ai_tools",),
            opened_at=AT,
            due_at=AT.replace(day=25),
        ),
        ev.AssessmentOverdue(
            **pair,
            phase=AssessmentPhase.BASELINE,
            pending_roles=(Role.MENTEE,),
            pending_ids=("e-200",),
            due_at=AT.replace(day=25),
            reported_at=AT.replace(day=25),
        ),
        ev.CompetenceAssessed(
            **pair,
            assessment_id="a-1",
            employee_id="e-200",
            assessor_role=Role.MENTEE,
            topic_name="ai_tools",
            phase=AssessmentPhase.BASELINE,
            level=2,
            assessed_at=AT,
        ),
        ev.SurveyDue(
            **pair,
            survey_id="p-1.mqs.1",
            kind=ev.SurveyKind.MQS,
            sequence=1,
            mentor_id="e-100",
            mentee_id="e-200",
            opens_at=AT,
            closes_at=AT.replace(day=25),
        ),
        ev.SurveyAnswered(
            **pair,
            survey_id="p-1.mqs.1",
            kind=ev.SurveyKind.MQS,
            respondent_role=Role.MENTOR,
            score=4,
            answered_at=AT,
        ),
    ]
