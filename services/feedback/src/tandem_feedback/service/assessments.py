"""Competence assessments: each member sees the pair's rounds and only their own levels."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tandem_contracts.events import AssessmentPhase
from tandem_contracts.values import Role
from tandem_feedback.domain.assessments import RUBRIC, AssessmentRound, TopicLevel, round_id
from tandem_feedback.domain.checkpoints import WindowStatus
from tandem_feedback.service.access import require_member
from tandem_feedback.service.commands import SubmitAssessment
from tandem_feedback.service.lookups import get_pair, refusals
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import NotFound


class RoundView(BaseModel):
    phase: AssessmentPhase
    status: WindowStatus
    opens_at: datetime
    due_at: datetime
    topics: tuple[str, ...]
    your_role: Role
    assessing: str
    """Whose competence is assessed: always the mentee (by themselves, or by the mentor)."""
    rubric: dict[int, str]
    your_levels: tuple[TopicLevel, ...] | None
    submitted_at: datetime | None
    late: bool | None


def view_of(r: AssessmentRound, role: Role) -> RoundView:
    mine = r.answers.get(role)
    return RoundView(
        phase=r.phase,
        status=r.status,
        opens_at=r.opens_at,
        due_at=r.due_at,
        topics=r.topics,
        your_role=role,
        assessing=r.mentee_id,
        rubric=RUBRIC,
        your_levels=mine.levels if mine else None,
        submitted_at=mine.submitted_at if mine else None,
        late=mine.late if mine else None,
    )


async def rounds_of(pair_id: str, caller: Principal, uow: FeedbackUnitOfWork) -> list[RoundView]:
    role = require_member(caller, await get_pair(pair_id, uow))
    rounds = await uow.rounds.of_pair(pair_id)
    order = list(AssessmentPhase)
    return [view_of(r, role) for r in sorted(rounds, key=lambda r: order.index(r.phase))]


async def submit(
    pair_id: str,
    phase: AssessmentPhase,
    command: SubmitAssessment,
    caller: Principal,
    uow: FeedbackUnitOfWork,
) -> RoundView:
    role = require_member(caller, await get_pair(pair_id, uow))
    found = await uow.rounds.get(round_id(pair_id, phase))
    if found is None:
        raise NotFound(f"pair {pair_id} has no {phase.value} assessment")
    levels = tuple(
        TopicLevel(topic_name=i.topic_name, level=i.level, note=i.note) for i in command.levels
    )
    with refusals():
        changed = found.submit(role, caller.employee_id, levels, uow.clock.now())
    await uow.rounds.put(changed)
    await uow.commit()
    return view_of(changed, role)
