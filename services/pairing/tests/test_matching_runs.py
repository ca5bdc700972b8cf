"""The life of an asynchronous matching run over fakes: stale snapshots, concurrent changes,
take-over by another worker, one run per program, and what a failed run leaves (nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

import pytest

from tandem_contracts.values import Role
from tandem_pairing.domain.pairs import PairStatus
from tandem_pairing.domain.runs import MAX_ATTEMPTS, MatchingRun, RunStage, RunStatus
from tandem_pairing.service import matching_runs
from tandem_pairing.service.commands import RunMatching
from tandem_pairing.service.enrollment import enroll, withdraw
from tandem_pairing.service.matching_runs import execute_run, request_run
from tandem_pairing.service.pairs import decide_pair
from tandem_pairing.service.ports import PairingUnitOfWork, RosterBusy
from tandem_pairing.service.programs import close_program
from tandem_servicekit.errors import Conflict

from .fakes import FAR, FakePairingUnitOfWork
from .test_handlers import PM, T, company, enroll_cmd, hired, open_program, person, work

Meddle = Callable[[int], Awaitable[None]]
STAGING = 4
"""The unit of work an attempt opens first after computing (1 start, 2 snapshot, 3 matching):
a change made here lands between the snapshot and the publication."""


def meddling(
    uow: FakePairingUnitOfWork, meddle: Meddle
) -> Callable[[], AbstractAsyncContextManager[PairingUnitOfWork]]:
    """Units of work over the fake that call `meddle(n)` as the n-th one opens."""
    opened = 0

    @asynccontextmanager
    async def new_work() -> AsyncIterator[PairingUnitOfWork]:
        nonlocal opened
        opened += 1
        await meddle(opened)
        async with uow:
            yield uow

    return new_work


async def carry(
    uow: FakePairingUnitOfWork, run: MatchingRun, meddle: Meddle, worker: str = "w"
) -> MatchingRun:
    """Claim and execute until the run ends, as the worker loop does."""
    new_work = meddling(uow, meddle)
    while True:
        claimed = await uow.runs.claim(worker, uow.clock.now(), FAR)
        assert claimed is not None
        done = await execute_run(claimed, worker, new_work, lambda: FAR)
        if done.status is not RunStatus.QUEUED:
            return done


async def program_of_two(uow: FakePairingUnitOfWork, **changes: object) -> str:
    await company(uow, hired("m1", 1), hired("m2", 2), hired("x1", 6), hired("x2", 7))
    program_id = await open_program(uow, **changes)
    for mentor in ("m1", "m2"):
        await enroll(program_id, enroll_cmd(mentor, Role.MENTOR), PM, uow)
    for mentee in ("x1", "x2"):
        await enroll(program_id, enroll_cmd(mentee, Role.MENTEE), PM, uow)
    return program_id


async def nothing(_: int) -> None:
    return None


async def test_a_run_is_queued_then_proposed_with_its_optimality_certified() -> None:
    uow = work()
    program_id = await program_of_two(uow)
    queued = await request_run(program_id, RunMatching(), PM, uow)
    assert (queued.status, queued.proposed, queued.requested_by) == (RunStatus.QUEUED, 0, "pm")
    assert uow.published_types()[-1] == "participant_enrolled", "nothing published yet"
    done = await carry(uow, queued, nothing)
    assert (done.status, done.proposed, done.attempts) == (RunStatus.PROPOSED, 2, 1)
    assert done.certified_optimal
    assert done.optimality_gap == 0.0
    assert done.score_upper_bound is not None
    assert done.score_upper_bound == pytest.approx(done.total_score, abs=1e-4)
    assert uow.published_types()[-2:] == ["pair_created", "pair_created"]


async def test_one_run_per_program_at_a_time() -> None:
    uow = work()
    program_id = await program_of_two(uow)
    first = await request_run(program_id, RunMatching(), PM, uow)
    with pytest.raises(Conflict, match=first.run_id):
        await request_run(program_id, RunMatching(), PM, uow)
    await carry(uow, first, nothing)
    second = await request_run(program_id, RunMatching(), PM, uow)
    assert second.status is RunStatus.QUEUED, "a finished run no longer blocks"


async def test_a_withdrawal_during_the_run_makes_it_compute_again_without_them() -> None:
    uow = work()
    program_id = await program_of_two(uow)
    x2 = await uow.enrollments.active_of(program_id, "x2")
    assert x2 is not None

    async def x2_withdraws(opened: int) -> None:
        if opened == STAGING:
            await withdraw(program_id, x2.enrollment_id, person("x2"), uow)

    done = await carry(uow, await request_run(program_id, RunMatching(), PM, uow), x2_withdraws)
    assert (done.status, done.attempts, done.proposed) == (RunStatus.PROPOSED, 2, 1)
    [pair] = uow.pairs.items.values()
    assert pair.mentee_id == "x1"
    assert pair.status is PairStatus.ACTIVE
    assert uow.published_types().count("pair_created") == 1, "the stale attempt published nothing"


async def test_a_proposal_accepted_during_the_run_is_never_paired_twice() -> None:
    uow = work()
    program_id = await program_of_two(uow, auto_accept=False)
    await carry(uow, await request_run(program_id, RunMatching(), PM, uow), nothing)
    proposals = list(uow.pairs.items.values())
    assert len(proposals) == 2
    first = proposals[0]

    async def both_accept(opened: int) -> None:
        if opened == STAGING:
            for who in (first.mentor_id, first.mentee_id):
                await decide_pair(first.pair_id, who, True, person(who), uow)

    done = await carry(uow, await request_run(program_id, RunMatching(), PM, uow), both_accept)
    assert (done.status, done.attempts, done.pinned) == (RunStatus.PROPOSED, 2, 1)
    live = [p for p in uow.pairs.items.values() if p.status is not PairStatus.SUPERSEDED]
    mentees = [p.mentee_id for p in live]
    assert sorted(mentees) == ["x1", "x2"], "each mentee in exactly one live pair"


async def test_a_program_that_keeps_changing_fails_the_run_and_leaves_nothing() -> None:
    uow = work()
    program_id = await program_of_two(uow)

    async def always(opened: int) -> None:
        await uow.rosters.bump([program_id])

    done = await carry(uow, await request_run(program_id, RunMatching(), PM, uow), always)
    assert done.status is RunStatus.FAILED
    assert done.attempts == MAX_ATTEMPTS
    assert done.failure is not None
    assert "kept changing" in done.failure
    assert (done.proposed, uow.pairs.items) == (0, {})
    assert not uow.unmatched.items, "the staged unmatched entries went too"
    assert "pair_created" not in uow.published_types()
    again = await request_run(program_id, RunMatching(), PM, uow)
    assert again.status is RunStatus.QUEUED, "a failed run no longer blocks"


async def test_closing_the_program_during_the_run_fails_it() -> None:
    uow = work()
    program_id = await program_of_two(uow)

    async def closes(opened: int) -> None:
        if opened == STAGING:
            await close_program(program_id, PM, uow)

    done = await carry(uow, await request_run(program_id, RunMatching(), PM, uow), closes)
    assert done.status is RunStatus.FAILED
    assert done.failure is not None
    assert "closed" in done.failure
    assert not uow.pairs.items
    assert "pair_created" not in uow.published_types()


async def test_a_worker_whose_lease_ran_out_stops_and_the_new_holder_finishes() -> None:
    uow = work()
    program_id = await program_of_two(uow)
    queued = await request_run(program_id, RunMatching(), PM, uow)
    stalled = await uow.runs.claim("slow", T, T + timedelta(seconds=1))
    assert stalled is not None
    taken = await uow.runs.claim("fast", T + timedelta(seconds=2), FAR)
    assert taken is not None
    assert (taken.run_id, taken.attempts) == (queued.run_id, 2)
    late = await execute_run(stalled, "slow", meddling(uow, nothing), lambda: FAR)
    assert late.status is RunStatus.RUNNING, "it stepped back without writing"
    assert not uow.pairs.items
    done = await execute_run(taken, "fast", meddling(uow, nothing), lambda: FAR)
    assert (done.status, done.proposed) == (RunStatus.PROPOSED, 2)
    assert len(uow.pairs.items) == 2


async def test_while_a_run_publishes_a_withdrawal_waits_and_a_new_worker_finishes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Publication moves pairs in chunks; it is locked against withdrawals (a retryable 503
    or consumer retry), and a worker dying half-way leaves a run the next worker completes:
    every pair once, every event once."""
    monkeypatch.setattr(matching_runs, "WRITE_CHUNK", 1)
    monkeypatch.setattr(matching_runs, "DIRECT_LIMIT", 0)
    uow = work()
    program_id = await program_of_two(uow)
    x2 = await uow.enrollments.active_of(program_id, "x2")
    assert x2 is not None
    dying = True

    async def dies_after_the_first_chunk(opened: int) -> None:
        nonlocal dying
        if dying and len(uow.pairs.items) == 1:
            with pytest.raises(RosterBusy, match="publishing"):
                await withdraw(program_id, x2.enrollment_id, person("x2"), uow)
            dying = False
            raise asyncio.CancelledError  # the worker's process is gone

    queued = await request_run(program_id, RunMatching(), PM, uow)
    claimed = await uow.runs.claim("dies", T, T + timedelta(seconds=1))
    assert claimed is not None
    soon = T + timedelta(seconds=1)
    with pytest.raises(asyncio.CancelledError):
        await execute_run(claimed, "dies", meddling(uow, dies_after_the_first_chunk), lambda: soon)
    half = await uow.runs.get(queued.run_id)
    assert half is not None
    assert (half.status, half.stage) == (RunStatus.RUNNING, RunStage.PUBLISHING)
    taken = await uow.runs.claim("next", T + timedelta(seconds=2), FAR)
    assert taken is not None
    done = await execute_run(taken, "next", meddling(uow, nothing), lambda: FAR)
    assert (done.status, done.proposed, done.attempts) == (RunStatus.PROPOSED, 2, 2)
    assert len(uow.pairs.items) == 2
    assert uow.published_types().count("pair_created") == 2
    await withdraw(program_id, x2.enrollment_id, person("x2"), uow)  # unlocked again
