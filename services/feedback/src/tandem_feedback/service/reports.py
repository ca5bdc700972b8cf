"""Per-pair and per-program reports. Figures from answers follow the anonymity rule; a pair's
members also get their own answers back in full (`yours`), never their partner's."""

from __future__ import annotations

from pydantic import BaseModel

from tandem_feedback.domain.reports import Report, build_report
from tandem_feedback.service import assessments, feedback, surveys
from tandem_feedback.service.access import require_manager_or_ops, require_member_or_manager
from tandem_feedback.service.lookups import get_pair
from tandem_feedback.service.ports import FeedbackUnitOfWork
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import NotFound


class YourAnswers(BaseModel):
    feedback: list[feedback.FeedbackView]
    assessments: list[assessments.RoundView]
    surveys: list[surveys.SurveyView]


class PairReport(Report):
    yours: YourAnswers | None = None
    """The caller's own answers, when the caller is a member of the pair."""


async def pair_report(
    pair_id: str, caller: Principal, uow: FeedbackUnitOfWork, k: int
) -> PairReport:
    pair = await get_pair(pair_id, uow)
    program = await uow.programs.get(pair.program_id)
    role = require_member_or_manager(caller, pair, program)
    sessions = await uow.sessions.of_pair(pair_id)
    rounds = await uow.rounds.of_pair(pair_id)
    pair_surveys = await uow.surveys.of_pair(pair_id)
    report = build_report(
        program_id=pair.program_id,
        pair_id=pair_id,
        k=k,
        pairs=1,
        sessions=sessions,
        rounds=rounds,
        surveys=pair_surveys,
        sheets=await uow.sheets.of_pair(pair_id),
    )
    yours = None
    if role is not None:
        now = uow.clock.now()
        yours = YourAnswers(
            feedback=[feedback.view_of(s, role) for s in sessions if role in s.entries],
            assessments=[assessments.view_of(r, role) for r in rounds if role in r.answers],
            surveys=[surveys.view_of(s, role, now) for s in pair_surveys if role in s.answers],
        )
    return PairReport(**report.model_dump(), yours=yours)


async def program_report(
    program_id: str, caller: Principal, uow: FeedbackUnitOfWork, k: int
) -> Report:
    program = await uow.programs.get(program_id)
    if program is None:
        raise NotFound(f"no program {program_id} is known to feedback")
    require_manager_or_ops(caller, program)
    return build_report(
        program_id=program_id,
        pair_id=None,
        k=k,
        pairs=await uow.pairs.count_of_program(program_id),
        sessions=await uow.sessions.of_program(program_id),
        rounds=await uow.rounds.of_program(program_id),
        surveys=await uow.surveys.of_program(program_id),
        sheets=await uow.sheets.of_program(program_id),
    )
