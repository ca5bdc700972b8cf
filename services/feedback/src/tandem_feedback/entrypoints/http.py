"""HTTP API of the feedback service (thin: parse, call a use case, answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from tandem_contracts.events import AssessmentPhase
from tandem_feedback.domain.goals import Goal, GoalSheet
from tandem_feedback.domain.reports import Report
from tandem_feedback.service import assessments, feedback, goals, reports, surveys
from tandem_feedback.service.assessments import RoundView
from tandem_feedback.service.commands import (
    AnswerSurvey,
    GoalInput,
    SubmitAssessment,
    SubmitFeedback,
)
from tandem_feedback.service.feedback import FeedbackView
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_feedback.service.reports import PairReport
from tandem_feedback.service.surveys import SurveyView
from tandem_feedback.settings import FeedbackRules
from tandem_servicekit.http import Caller, PagingQuery, PathId, unit_of_work
from tandem_servicekit.repository import Page

Work = Annotated[FeedbackUnitOfWork, Depends(unit_of_work)]
CREATED = status.HTTP_201_CREATED


def router(rules: FeedbackRules) -> APIRouter:
    api = APIRouter()
    k = rules.anonymity_threshold

    @api.post("/sessions/{session_id}/feedback", status_code=CREATED, tags=["feedback"])
    async def give_feedback(
        session_id: PathId, body: SubmitFeedback, caller: Caller, work: Work
    ) -> FeedbackView:
        """The caller's feedback on a held session of their pair, once: a second one is 409
        (feedback is not edited, so what was reported stays what was said). The comment stays
        in this service; the event carries the scores only."""
        return await feedback.submit(session_id, body, caller, work)

    @api.get("/sessions/{session_id}/feedback", tags=["feedback"])
    async def own_feedback(session_id: PathId, caller: Caller, work: Work) -> FeedbackView:
        """The caller's own feedback on the session (never the partner's)."""
        return await feedback.own(session_id, caller, work)

    @api.get("/people/{employee_id}/feedback", tags=["feedback"])
    async def feedback_given(
        employee_id: PathId, caller: Caller, work: Work, paging: PagingQuery
    ) -> Page[FeedbackView]:
        """Everything the person gave, for the person themselves."""
        return await feedback.given_by(employee_id, paging, caller, work)

    @api.get("/pairs/{pair_id}/goals", tags=["goals"])
    async def goal_sheet(pair_id: PathId, caller: Caller, work: Work) -> GoalSheet:
        """The pair's goal sheet, for its two members."""
        return await goals.goal_sheet(pair_id, caller, work)

    @api.post("/pairs/{pair_id}/goals", status_code=CREATED, tags=["goals"])
    async def add_goal(pair_id: PathId, body: GoalInput, caller: Caller, work: Work) -> Goal:
        """A goal of the caller's own (the mentee's on one of the pair's topics; the mentor's
        optionally on one)."""
        return await goals.add(pair_id, body, caller, work)

    @api.put("/pairs/{pair_id}/goals/{goal_id}", tags=["goals"])
    async def edit_goal(
        pair_id: PathId, goal_id: PathId, body: GoalInput, caller: Caller, work: Work
    ) -> Goal:
        """Replace one of the caller's own goals; milestones named by id keep their progress."""
        return await goals.edit(pair_id, goal_id, body, caller, work)

    @api.post("/pairs/{pair_id}/goals/{goal_id}/milestones/{milestone_id}/done", tags=["goals"])
    async def milestone_done(
        pair_id: PathId, goal_id: PathId, milestone_id: PathId, caller: Caller, work: Work
    ) -> Goal:
        """Mark a milestone of the caller's goal reached (again: no change)."""
        return await goals.complete_milestone(pair_id, goal_id, milestone_id, caller, work)

    @api.post("/pairs/{pair_id}/goals/{goal_id}/achieved", tags=["goals"])
    async def goal_achieved(pair_id: PathId, goal_id: PathId, caller: Caller, work: Work) -> Goal:
        """The caller declares their goal achieved (again: no change)."""
        return await goals.achieve(pair_id, goal_id, caller, work)

    @api.get("/pairs/{pair_id}/assessments", tags=["assessments"])
    async def assessment_rounds(pair_id: PathId, caller: Caller, work: Work) -> list[RoundView]:
        """Baseline, midpoint and final rounds with their dates, the level rubric, and the
        caller's own levels (never the partner's)."""
        return await assessments.rounds_of(pair_id, caller, work)

    @api.post("/pairs/{pair_id}/assessments/{phase}", status_code=CREATED, tags=["assessments"])
    async def assess(
        pair_id: PathId,
        phase: AssessmentPhase,
        body: SubmitAssessment,
        caller: Caller,
        work: Work,
    ) -> RoundView:
        """The mentee assesses themselves, the mentor assesses the mentee: one level per topic
        of the pair, once per round. After the due date it is accepted and flagged late."""
        return await assessments.submit(pair_id, phase, body, caller, work)

    @api.get("/people/{employee_id}/surveys", tags=["surveys"])
    async def person_surveys(
        employee_id: PathId, caller: Caller, work: Work, paging: PagingQuery
    ) -> Page[SurveyView]:
        """The person's MQS and NPS surveys (planned, open, closed) and their own answers."""
        return await surveys.of_person(employee_id, paging, caller, work)

    @api.post("/surveys/{survey_id}/answer", status_code=CREATED, tags=["surveys"])
    async def answer_survey(
        survey_id: PathId, body: AnswerSurvey, caller: Caller, work: Work
    ) -> SurveyView:
        """Once, while the survey is open (409 before or after its window)."""
        return await surveys.answer(survey_id, body, caller, work)

    @api.get("/pairs/{pair_id}/report", tags=["reports"])
    async def pair_report(pair_id: PathId, caller: Caller, work: Work) -> PairReport:
        """For the pair's members and the program's managers. Every figure from answers is
        shown only when at least the anonymity threshold of people gave them (so, for one
        pair, never); members also get their own answers back (`yours`)."""
        return await reports.pair_report(pair_id, caller, work, k)

    @api.get("/programs/{program_id}/report", tags=["reports"])
    async def program_report(program_id: PathId, caller: Caller, work: Work) -> Report:
        """For the program's managers and ops: averages, completion, competence deltas (self
        and partner view), MQS, NPS and goal completion, each under the anonymity rule."""
        return await reports.program_report(program_id, caller, work, k)

    return api
