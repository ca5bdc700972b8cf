"""HTTP API of the pairing service (thin: parse, call a use case, answer)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel

from tandem_pairing.adapters.unit_of_work import PairingUnitOfWork
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.matching import ProposedPair
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.service import handlers
from tandem_pairing.service.commands import CreateProgram, Enroll, PairDecision, RunMatching
from tandem_servicekit.errors import NotFound

Limit = Annotated[int, Query(ge=1, le=1000)]
Skip = Annotated[int, Query(ge=0)]


class Page(BaseModel):
    total: int


class PairPage(Page):
    items: list[Pair]


class EnrollmentPage(Page):
    items: list[Enrollment]


class UnmatchedPage(Page):
    items: list[UnmatchedEntry]


async def _unit_of_work(request: Request) -> AsyncIterator[PairingUnitOfWork]:
    """One unit of work per request, from the factory bootstrap put on the app."""
    factory: Callable[[], PairingUnitOfWork] = request.app.state.unit_of_work
    async with factory() as work:
        yield work


Work = Annotated[PairingUnitOfWork, Depends(_unit_of_work)]


def router() -> APIRouter:
    api = APIRouter()

    @api.post("/programs", status_code=status.HTTP_201_CREATED, tags=["programs"])
    async def create_program(body: CreateProgram, work: Work) -> Program:
        return await handlers.create_program(body, work)

    @api.get("/programs", tags=["programs"])
    async def list_programs(work: Work) -> list[Program]:
        return await work.programs.find({}, sort="created_at")

    @api.get("/programs/{program_id}", tags=["programs"])
    async def get_program(program_id: str, work: Work) -> Program:
        return await handlers.get_program(program_id, work)

    @api.post("/programs/{program_id}/open", tags=["programs"])
    async def open_program(program_id: str, work: Work) -> Program:
        return await handlers.open_program(program_id, work)

    @api.post("/programs/{program_id}/close", tags=["programs"])
    async def close_program(program_id: str, work: Work) -> Program:
        return await handlers.close_program(program_id, work)

    @api.post(
        "/programs/{program_id}/enrollments",
        status_code=status.HTTP_201_CREATED,
        tags=["enrollment"],
    )
    async def enroll(program_id: str, body: Enroll, work: Work) -> Enrollment:
        return await handlers.enroll(program_id, body, work)

    @api.get("/programs/{program_id}/enrollments", tags=["enrollment"])
    async def list_enrollments(
        program_id: str,
        work: Work,
        state: EnrollmentStatus | None = None,
        limit: Limit = 100,
        skip: Skip = 0,
    ) -> EnrollmentPage:
        await handlers.get_program(program_id, work)
        query: dict[str, object] = {"program_id": program_id}
        if state is not None:
            query["status"] = state.value
        total, items = await work.enrollments.page(
            query, sort="enrollment_id", limit=limit, skip=skip
        )
        return EnrollmentPage(total=total, items=items)

    @api.get("/programs/{program_id}/enrollments/{enrollment_id}", tags=["enrollment"])
    async def get_enrollment(program_id: str, enrollment_id: str, work: Work) -> Enrollment:
        found = await work.enrollments.get(enrollment_id)
        if found is None or found.program_id != program_id:
            raise NotFound(f"enrollment {enrollment_id} not found in program {program_id}")
        return found

    @api.post("/programs/{program_id}/enrollments/{enrollment_id}/withdraw", tags=["enrollment"])
    async def withdraw(program_id: str, enrollment_id: str, work: Work) -> Enrollment:
        return await handlers.withdraw(program_id, enrollment_id, work)

    @api.post(
        "/programs/{program_id}/matching-runs",
        status_code=status.HTTP_201_CREATED,
        tags=["matching"],
    )
    async def run_matching(
        program_id: str, work: Work, body: RunMatching | None = None
    ) -> MatchingRun:
        return await handlers.run_matching(program_id, body or RunMatching(), work)

    @api.get("/programs/{program_id}/matching-runs", tags=["matching"])
    async def list_runs(program_id: str, work: Work) -> list[MatchingRun]:
        await handlers.get_program(program_id, work)
        return await work.runs.find({"program_id": program_id}, sort="created_at")

    @api.get("/matching-runs/{run_id}", tags=["matching"])
    async def get_run(run_id: str, work: Work) -> MatchingRun:
        run = await work.runs.get(run_id)
        if run is None:
            raise NotFound(f"matching run {run_id} not found")
        return run

    @api.get("/matching-runs/{run_id}/unmatched", tags=["matching"])
    async def run_unmatched(
        run_id: str, work: Work, limit: Limit = 100, skip: Skip = 0
    ) -> UnmatchedPage:
        await get_run(run_id, work)
        query = {"run_id": run_id}
        total, items = await work.unmatched.page(query, sort="entry_id", limit=limit, skip=skip)
        return UnmatchedPage(total=total, items=items)

    @api.get("/programs/{program_id}/suggestions", tags=["matching"])
    async def suggestions(
        program_id: str, employee_id: str, work: Work, k: Annotated[int, Query(ge=1, le=50)] = 5
    ) -> list[ProposedPair]:
        """Self-match: the best mentors with free places for one enrolled mentee."""
        return await handlers.suggest(program_id, employee_id, k, work)

    @api.get("/programs/{program_id}/pairs", tags=["pairs"])
    async def list_pairs(
        program_id: str,
        work: Work,
        state: PairStatus | None = None,
        run_id: str | None = None,
        limit: Limit = 100,
        skip: Skip = 0,
    ) -> PairPage:
        await handlers.get_program(program_id, work)
        query: dict[str, object] = {"program_id": program_id}
        if state is not None:
            query["status"] = state.value
        if run_id is not None:
            query["run_id"] = run_id
        total, items = await work.pairs.page(query, sort="pair_id", limit=limit, skip=skip)
        return PairPage(total=total, items=items)

    @api.get("/pairs/{pair_id}", tags=["pairs"])
    async def get_pair(pair_id: str, work: Work) -> Pair:
        pair = await work.pairs.get(pair_id)
        if pair is None:
            raise NotFound(f"pair {pair_id} not found")
        return pair

    @api.post("/pairs/{pair_id}/accept", tags=["pairs"])
    async def accept(pair_id: str, body: PairDecision, work: Work) -> Pair:
        return await handlers.decide_pair(pair_id, body.employee_id, True, work)

    @api.post("/pairs/{pair_id}/decline", tags=["pairs"])
    async def decline(pair_id: str, body: PairDecision, work: Work) -> Pair:
        return await handlers.decide_pair(pair_id, body.employee_id, False, work)

    @api.post("/pairs/{pair_id}/end", tags=["pairs"])
    async def end(pair_id: str, work: Work) -> Pair:
        """Ended by the program manager."""
        return await handlers.end_pair(pair_id, work)

    @api.get("/employees/{employee_id}", tags=["employees"])
    async def get_employee(employee_id: str, work: Work) -> Employee:
        """The HR projection as pairing sees it (tombstones for people who left)."""
        found = await work.employees.get(employee_id)
        if found is None:
            raise NotFound(f"employee {employee_id} not known")
        return found

    return api
