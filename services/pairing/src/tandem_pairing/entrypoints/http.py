"""HTTP API of the pairing service (thin: parse, call a use case, answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from tandem_contracts.events import EmployeeErasureRequested
from tandem_pairing.domain.employees import Employee
from tandem_pairing.domain.enrollment import Enrollment, EnrollmentStatus
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import MatchingRun, UnmatchedEntry
from tandem_pairing.entrypoints.run_worker import MatchingRunWorker
from tandem_pairing.service import (
    enrollment,
    lookups,
    matching,
    matching_runs,
    pairs,
    privacy,
    programs,
    views,
)
from tandem_pairing.service.commands import CreateProgram, Enroll, PairDecision, RunMatching
from tandem_pairing.service.matching import Suggestion
from tandem_pairing.service.ports import EmployeeQuery, PairingUnitOfWork
from tandem_servicekit.http import Caller, ErrorBody, PagingQuery, PathId, QueryId, unit_of_work
from tandem_servicekit.repository import Page

Work = Annotated[PairingUnitOfWork, Depends(unit_of_work)]


def _worker(request: Request) -> MatchingRunWorker:
    worker: MatchingRunWorker = request.app.state.matching_runs
    return worker


Worker = Annotated[MatchingRunWorker, Depends(_worker)]


def router() -> APIRouter:
    api = APIRouter()

    @api.post("/programs", status_code=status.HTTP_201_CREATED, tags=["programs"])
    async def create_program(body: CreateProgram, caller: Caller, work: Work) -> Program:
        return await programs.create_program(body, caller, work)

    @api.get("/programs", tags=["programs"])
    async def list_programs(work: Work) -> list[Program]:
        return await views.programs(work)

    @api.get("/programs/{program_id}", tags=["programs"])
    async def get_program(program_id: PathId, work: Work) -> Program:
        return await lookups.get_program(program_id, work)

    @api.post("/programs/{program_id}/open", tags=["programs"])
    async def open_program(program_id: PathId, caller: Caller, work: Work) -> Program:
        return await programs.open_program(program_id, caller, work)

    @api.post("/programs/{program_id}/close", tags=["programs"])
    async def close_program(program_id: PathId, caller: Caller, work: Work) -> Program:
        return await programs.close_program(program_id, caller, work)

    @api.post(
        "/programs/{program_id}/enrollments",
        status_code=status.HTTP_201_CREATED,
        tags=["enrollment"],
    )
    async def enroll(program_id: PathId, body: Enroll, caller: Caller, work: Work) -> Enrollment:
        return await enrollment.enroll(program_id, body, caller, work)

    @api.get("/programs/{program_id}/enrollments", tags=["enrollment"])
    async def list_enrollments(
        program_id: PathId,
        caller: Caller,
        work: Work,
        paging: PagingQuery,
        state: EnrollmentStatus | None = None,
    ) -> Page[Enrollment]:
        return await views.enrollments(program_id, state, paging, caller, work)

    @api.get("/programs/{program_id}/enrollments/{enrollment_id}", tags=["enrollment"])
    async def get_enrollment(
        program_id: PathId, enrollment_id: PathId, caller: Caller, work: Work
    ) -> Enrollment:
        return await lookups.own_enrollment(program_id, enrollment_id, caller, work)

    @api.post("/programs/{program_id}/enrollments/{enrollment_id}/withdraw", tags=["enrollment"])
    async def withdraw(
        program_id: PathId, enrollment_id: PathId, caller: Caller, work: Work
    ) -> Enrollment:
        return await enrollment.withdraw(program_id, enrollment_id, caller, work)

    @api.post(
        "/programs/{program_id}/matching-runs",
        status_code=status.HTTP_202_ACCEPTED,
        tags=["matching"],
        responses={409: {"model": ErrorBody, "description": "a run of this program is pending"}},
    )
    async def run_matching(
        program_id: PathId,
        caller: Caller,
        work: Work,
        worker: Worker,
        response: Response,
        body: RunMatching | None = None,
    ) -> MatchingRun:
        """Queue a matching run (202): poll `GET /matching-runs/{run_id}` (the `Location`)
        until it is `proposed` or `failed`. One run per program at a time (409 meanwhile)."""
        run = await matching_runs.request_run(program_id, body or RunMatching(), caller, work)
        worker.notify()
        response.headers["Location"] = f"/matching-runs/{run.run_id}"
        return run

    @api.get("/programs/{program_id}/matching-runs", tags=["matching"])
    async def list_runs(program_id: PathId, caller: Caller, work: Work) -> list[MatchingRun]:
        return await views.runs(program_id, caller, work)

    @api.get("/matching-runs/{run_id}", tags=["matching"])
    async def get_run(run_id: PathId, caller: Caller, work: Work) -> MatchingRun:
        return await views.run(run_id, caller, work)

    @api.get("/matching-runs/{run_id}/unmatched", tags=["matching"])
    async def run_unmatched(
        run_id: PathId, caller: Caller, work: Work, paging: PagingQuery
    ) -> Page[UnmatchedEntry]:
        return await views.unmatched(run_id, paging, caller, work)

    @api.get("/programs/{program_id}/suggestions", tags=["matching"])
    async def suggestions(
        program_id: PathId,
        employee_id: QueryId,
        caller: Caller,
        work: Work,
        k: Annotated[int, Query(ge=1, le=50)] = 5,
    ) -> list[Suggestion]:
        """Self-match, best first: for an enrolled mentee, mentors with free places; for a
        mentor with free places, mentees not yet in an active pair. Each carries both people's
        employee and enrollment ids and the score's breakdown."""
        return await matching.suggest(program_id, employee_id, k, caller, work)

    @api.get("/programs/{program_id}/pairs", tags=["pairs"])
    async def list_pairs(
        program_id: PathId,
        caller: Caller,
        work: Work,
        paging: PagingQuery,
        state: PairStatus | None = None,
        run_id: QueryId | None = None,
    ) -> Page[Pair]:
        return await views.pairs(program_id, state, run_id, paging, caller, work)

    @api.get("/pairs/{pair_id}", tags=["pairs"])
    async def get_pair(pair_id: PathId, caller: Caller, work: Work) -> Pair:
        return await views.pair(pair_id, caller, work)

    @api.post("/pairs/{pair_id}/accept", tags=["pairs"])
    async def accept(pair_id: PathId, body: PairDecision, caller: Caller, work: Work) -> Pair:
        return await pairs.decide_pair(pair_id, body.employee_id, True, caller, work)

    @api.post("/pairs/{pair_id}/decline", tags=["pairs"])
    async def decline(pair_id: PathId, body: PairDecision, caller: Caller, work: Work) -> Pair:
        return await pairs.decide_pair(pair_id, body.employee_id, False, caller, work)

    @api.post("/pairs/{pair_id}/end", tags=["pairs"])
    async def end(pair_id: PathId, caller: Caller, work: Work) -> Pair:
        """Ended by the program manager."""
        return await pairs.end_pair(pair_id, caller, work)

    @api.get("/employees", tags=["employees"])
    async def list_employees(
        caller: Caller,
        work: Work,
        paging: PagingQuery,
        active: bool | None = None,
        department: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
        manager_id: QueryId | None = None,
    ) -> Page[Employee]:
        """The HR projection (hr_admin), by employee id: what pairing knows of each person,
        to check an HR integration. `birth_year` and `generation` are as HR sent them."""
        query = EmployeeQuery(active=active, department=department, manager_id=manager_id)
        return await views.employees(query, paging, caller, work)

    @api.get("/employees/{employee_id}", tags=["employees"])
    async def get_employee(employee_id: PathId, caller: Caller, work: Work) -> Employee:
        """The HR projection as pairing sees it (tombstones for people who left)."""
        return await views.employee(employee_id, caller, work)

    @api.post(
        "/employees/{employee_id}/erasure",
        status_code=status.HTTP_202_ACCEPTED,
        tags=["employees"],
    )
    async def request_erasure(
        employee_id: PathId, caller: Caller, work: Work
    ) -> EmployeeErasureRequested:
        """GDPR erasure (hr_admin): every service erases or pseudonymises the person and
        confirms with `PersonalDataErased` on `tandem.privacy.v1` (the same `request_id`)."""
        return await privacy.request_erasure(employee_id, caller, work)

    return api
