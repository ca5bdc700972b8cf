"""Reading a program's facts and computing its KPIs (for the report and for Prometheus)."""

from __future__ import annotations

from tandem_metrics.domain.facts import (
    AssessmentFact,
    EmployeeFact,
    EnrollmentFact,
    FeedbackFact,
    GoalFact,
    PairFact,
    ProgramFact,
    SessionFact,
    SurveyAnswerFact,
)
from tandem_metrics.domain.kpis import ProgramFacts, ProgramKpis, compute
from tandem_metrics.service.ports import Fields, MetricsUnitOfWork
from tandem_servicekit.auth import OPS, PROGRAM_MANAGER, Principal
from tandem_servicekit.errors import Forbidden, NotFound


async def facts_of(program_id: str, uow: MetricsUnitOfWork) -> ProgramFacts | None:
    found = await uow.facts.of_program("programs", program_id)
    if not found:
        return None
    facts = uow.facts
    return ProgramFacts(
        program=ProgramFact.model_validate(found[0]),
        enrollments=[
            EnrollmentFact.model_validate(f)
            for f in await facts.of_program("enrollments", program_id)
        ],
        pairs=[PairFact.model_validate(f) for f in await facts.of_program("pairs", program_id)],
        sessions=_with_requests(
            await facts.of_program("sessions", program_id),
            await facts.of_program("requests", program_id),
        ),
        feedback=[
            FeedbackFact.model_validate(f) for f in await facts.of_program("feedback", program_id)
        ],
        answers=[
            SurveyAnswerFact.model_validate(f)
            for f in await facts.of_program("answers", program_id)
        ],
        employees=[EmployeeFact.model_validate(f) for f in await facts.every("employees")],
        goals=[GoalFact.model_validate(f) for f in await facts.of_program("goals", program_id)],
        assessments=[
            AssessmentFact.model_validate(f)
            for f in await facts.of_program("assessments", program_id)
        ],
    )


def _with_requests(sessions: list[Fields], requests: list[Fields]) -> list[SessionFact]:
    """Sessions with `feedback_requested` set from the feedback service's requests (kept apart:
    the two topics' consumers never write the same documents)."""
    by_id = {s["session_id"]: dict(s) for s in sessions}
    for r in requests:
        by_id.setdefault(r["session_id"], dict(r))["feedback_requested"] = True
    return [SessionFact.model_validate(by_id[k]) for k in sorted(by_id)]


async def program_kpis(program_id: str, uow: MetricsUnitOfWork, k: int) -> ProgramKpis | None:
    facts = await facts_of(program_id, uow)
    return None if facts is None else compute(facts, uow.clock.now(), k)


async def report(program_id: str, caller: Principal, uow: MetricsUnitOfWork, k: int) -> ProgramKpis:
    """For the program's managers and ops (aggregates only)."""
    facts = await facts_of(program_id, uow)
    if facts is None:
        raise NotFound(f"no program {program_id} is known to metrics")
    manages = caller.has(PROGRAM_MANAGER) and caller.employee_id in facts.program.manager_ids
    if not (manages or caller.has(OPS)):
        raise Forbidden("program reports are for the program's managers and ops")
    return compute(facts, uow.clock.now(), k)


async def all_programs(uow: MetricsUnitOfWork, k: int) -> list[ProgramKpis]:
    found = []
    for program_id in await uow.facts.program_ids():
        kpis = await program_kpis(program_id, uow, k)
        if kpis is not None:
            found.append(kpis)
    return found
