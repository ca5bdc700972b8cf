"""MQS and NPS surveys: each person sees their own and answers each once, inside its window."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from tandem_contracts.events import SurveyKind
from tandem_contracts.values import Role
from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.domain.surveys import SCALES, Survey
from tandem_feedback.service.access import require_self
from tandem_feedback.service.commands import AnswerSurvey
from tandem_feedback.service.lookups import refusals
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_servicekit.auth import PARTICIPANT, Principal
from tandem_servicekit.errors import Forbidden, NotFound
from tandem_servicekit.repository import Page, Paging

QUESTIONS = {
    SurveyKind.MQS: "How would you rate your mentoring relationship? (1-5)",
    SurveyKind.NPS: "How likely are you to recommend this program to a colleague? (0-10)",
}


class SurveyState(StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class SurveyView(BaseModel):
    survey_id: str
    pair_id: str
    program_id: str
    kind: SurveyKind
    sequence: int
    question: str
    min_score: int
    max_score: int
    state: SurveyState
    opens_at: datetime
    closes_at: datetime
    your_role: Role
    your_score: int | None
    answered_at: datetime | None


def view_of(survey: Survey, role: Role, now: datetime) -> SurveyView:
    if survey.status is WindowStatus.CANCELLED:
        state = SurveyState.CANCELLED
    elif survey.is_closed_at(now):
        state = SurveyState.CLOSED
    elif survey.is_opened_by(now):
        state = SurveyState.OPEN
    else:
        state = SurveyState.PLANNED
    mine = survey.answers.get(role)
    low, high = SCALES[survey.kind]
    return SurveyView(
        survey_id=survey.survey_id,
        pair_id=survey.pair_id,
        program_id=survey.program_id,
        kind=survey.kind,
        sequence=survey.sequence,
        question=QUESTIONS[survey.kind],
        min_score=low,
        max_score=high,
        state=state,
        opens_at=survey.opens_at,
        closes_at=survey.closes_at,
        your_role=role,
        your_score=mine.score if mine else None,
        answered_at=mine.answered_at if mine else None,
    )


async def of_person(
    employee_id: str, paging: Paging, caller: Principal, uow: FeedbackUnitOfWork
) -> Page[SurveyView]:
    require_self(caller, employee_id)
    page = await uow.surveys.of_person(employee_id, paging)
    now = uow.clock.now()
    items = [
        view_of(s, role, now) for s in page.items if (role := s.role_of(employee_id)) is not None
    ]
    return Page(total=page.total, items=items)


async def answer(
    survey_id: str, command: AnswerSurvey, caller: Principal, uow: FeedbackUnitOfWork
) -> SurveyView:
    survey = await uow.surveys.get(survey_id)
    if survey is None:
        raise NotFound(f"no survey {survey_id}")
    role = survey.role_of(caller.employee_id) if caller.has(PARTICIPANT) else None
    if role is None:
        raise Forbidden("only the pair's members answer its surveys")
    now = uow.clock.now()
    with refusals():
        changed = survey.answer(role, caller.employee_id, command.score, now)
    await uow.surveys.put(changed)
    await uow.commit()
    return view_of(changed, role, now)
