"""Use cases of a matching run: request it, then (in a worker) snapshot, compute, publish.

The request only records the run (`queued`). The worker reads a consistent snapshot of the
program in one read-only transaction and computes outside any transaction; meanwhile the
previous run's open proposals are withdrawn. Every transaction after that is bounded: the
unmatched report goes in `WRITE_CHUNK` entries at a time; a result of at most `DIRECT_LIMIT`
documents is checked and written in one transaction; a larger one is staged out of sight in
`WRITE_CHUNK`-pair transactions, checked and locked in one small transaction, then moved in
`WRITE_CHUNK` pairs (with their events) at a time. The check is what a concurrent change could
have invalidated: the program is still open, its roster version (bumped by withdrawals,
departures, erasures and the close) is the snapshot's, and no pair became active meanwhile.
Otherwise the run starts again from a fresh snapshot, or fails after `MAX_ATTEMPTS`: a result is
never half-applied. While a locked result moves in, the changes that bump the version wait
(`RosterBusy`); a worker that dies then leaves a run the next worker finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from tandem_pairing.domain.enrollment import Enrollment
from tandem_pairing.domain.matching import MatchingProblem, MatchingResult, Pin, match
from tandem_pairing.domain.pairs import Pair, PairStatus
from tandem_pairing.domain.programs import Program
from tandem_pairing.domain.runs import (
    MAX_ATTEMPTS,
    MatchingRun,
    RunStage,
    RunStatus,
    UnmatchedEntry,
)
from tandem_pairing.service.access import require_manager
from tandem_pairing.service.commands import RunMatching
from tandem_pairing.service.lookups import get_program, new_id, open_program_for
from tandem_pairing.service.participants import participants_of, roles_of
from tandem_pairing.service.ports import PairingUnitOfWork
from tandem_pairing.service.proposals import new_pair
from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import Conflict, is_transient
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.pairing.runs")

WRITE_CHUNK = 1000
"""Pairs (with their events) per transaction when a result is staged and moved in."""
DIRECT_LIMIT = 5000
"""Results of at most this many documents (pairs and their events) are written in one
transaction; larger ones are staged and moved in `WRITE_CHUNK` at a time. (A single transaction
of 10,000 pairs and their events did not fit the embedded database's 256 MB cache.)"""

T = TypeVar("T")
NewWork = Callable[[], AbstractAsyncContextManager[PairingUnitOfWork]]
"""Opens one unit of work (one transaction); the worker opens one per step."""
LeaseClock = Callable[[], datetime]
"""The lease expiry to write now (system time: leases are compared across processes)."""


class StaleSnapshot(Exception):
    """The roster changed in a way the computed result cannot survive: compute again."""


class RunRejected(Exception):
    """The run cannot produce a result at all (the reason is shown on the run)."""


class RunLost(Exception):
    """Another worker holds the run now (this one's lease ran out): stop touching it."""


async def request_run(
    program_id: str, cmd: RunMatching, caller: Principal, uow: PairingUnitOfWork
) -> MatchingRun:
    """Queue a run; one run per program at a time (409 naming the one in progress)."""
    require_manager(caller, await get_program(program_id, uow))
    program = await open_program_for(program_id, "matching", uow)
    pending = await uow.rosters.pending_run(program_id)
    if pending is not None:
        current = await uow.runs.get(pending)
        if current is not None and current.pending:
            raise Conflict(
                f"matching run {pending} of this program is {current.status.value}; "
                "wait until it is proposed or failed"
            )
    run = MatchingRun(
        run_id=new_id("run"),
        program_id=program_id,
        status=RunStatus.QUEUED,
        objective=cmd.objective or program.objective,
        candidates_per_mentee=cmd.candidates_per_mentee,
        candidates_per_mentor=cmd.candidates_per_mentor,
        requested_by=caller.employee_id,
        auto_accepted=program.auto_accept,
        created_at=uow.clock.now(),
    )
    await uow.runs.put(run)
    # Written by every request: two concurrent requests conflict, one of them gets a retry.
    await uow.rosters.set_pending_run(program_id, run.run_id)
    await uow.commit()
    return run


@dataclass(frozen=True)
class RunSnapshot:
    """What a run computes from, read at one point in time."""

    program: Program
    by_id: dict[str, Enrollment]
    problem: MatchingProblem
    active_pair_ids: frozenset[str]
    roster_version: int


async def take_snapshot(run: MatchingRun, uow: PairingUnitOfWork) -> RunSnapshot:
    """Read-only: the program, its active enrollments and pairs and the whole HR projection
    (one scan each, by program; no id lists)."""
    program = await open_program_for(run.program_id, "matching", uow)
    version = await uow.rosters.version(run.program_id)
    enrollments = await uow.enrollments.active_in(run.program_id)
    active = await uow.pairs.in_program(run.program_id, [PairStatus.ACTIVE])
    directory = await uow.employees.directory()
    by_id = {e.enrollment_id: e for e in enrollments}
    mentors, mentees = roles_of(participants_of(program, enrollments, directory), by_id)
    pins = tuple(
        Pin(p.mentor_enrollment_id, p.mentee_enrollment_id)
        for p in active
        if p.mentor_enrollment_id in by_id and p.mentee_enrollment_id in by_id
    )
    problem = MatchingProblem(
        mentors,
        mentees,
        program.weights,
        program.rules,
        run.objective,
        pinned=pins,
        candidates_per_mentee=run.candidates_per_mentee,
        candidates_per_mentor=run.candidates_per_mentor,
    )
    return RunSnapshot(program, by_id, problem, frozenset(p.pair_id for p in active), version)


@dataclass(frozen=True)
class RunOutcome:
    """A computed result, not yet stored."""

    run: MatchingRun
    pairs: list[Pair]
    unmatched: list[UnmatchedEntry]


def compute(run: MatchingRun, snapshot: RunSnapshot, now: datetime) -> RunOutcome:
    """The engine over the snapshot, and the run's figures (CPU only: run it in a thread)."""
    problem, by_id = snapshot.problem, snapshot.by_id
    result = match(problem)
    fresh = [p for p in result.pairs if not p.pinned]
    pairs = [new_pair(snapshot.program, run.run_id, p, by_id, now) for p in fresh]
    unmatched = [
        UnmatchedEntry(
            entry_id=f"{run.run_id}:{u.enrollment_id}",
            run_id=run.run_id,
            enrollment_id=u.enrollment_id,
            employee_id=by_id[u.enrollment_id].employee_id,
            role=u.role,
            reason=u.reason,
            free_places=u.free_places,
        )
        for u in result.unmatched
    ]
    return RunOutcome(_figures(run, problem, result, len(pairs)), pairs, unmatched)


def _figures(
    run: MatchingRun, problem: MatchingProblem, result: MatchingResult, proposed: int
) -> MatchingRun:
    by_reason = Counter(u.reason.value for u in result.unmatched if u.role == "mentee")
    stats = result.stats
    bound = stats.upper_bound
    gap = None
    if stats.certified_optimal:
        gap = 0.0
    elif bound is not None and bound > 0:
        gap = round(max(0.0, bound - stats.free_score) / bound, 9)
    return run.model_copy(
        update={
            "mentors": len(problem.mentors),
            "mentees": len(problem.mentees),
            "pinned": len(problem.pinned),
            "proposed": proposed,
            "unmatched_mentees": by_reason.total(),
            "unmatched_by_reason": dict(by_reason),
            "total_score": result.total_score,
            "average_score": (
                round(result.total_score / len(result.pairs), 6) if result.pairs else 0.0
            ),
            "certified_optimal": stats.certified_optimal,
            "score_upper_bound": bound,
            "optimality_gap": gap,
            "candidate_arcs": stats.candidate_arcs,
            "scoring_seconds": stats.scoring_seconds,
            "solving_seconds": stats.solving_seconds,
        }
    )


async def execute_run(
    run: MatchingRun,
    worker: str,
    new_work: NewWork,
    lease: LeaseClock,
    *,
    renew_every_s: float = 15.0,
) -> MatchingRun:
    """One attempt of a claimed run, to its end: proposed, failed, or queued again (stale).

    `lease()` is the new lease expiry (system time) each step writes: every step's
    transaction checks that this worker still holds the run. While the engine computes, no step
    writes, so the lease is renewed every `renew_every_s`.
    """
    try:

        async def start() -> None:
            async with new_work() as uow:
                await _step(uow, run, worker, lease(), stage=RunStage.LOADING, started=True)
                await uow.commit()

        async def snapshot_now() -> tuple[RunSnapshot, datetime]:
            async with new_work() as uow:  # read-only: rolled back, nothing written
                return await take_snapshot(run, uow), uow.clock.now()

        async def computing() -> None:
            async with new_work() as uow:
                await _step(uow, run, worker, lease(), stage=RunStage.MATCHING)
                await uow.commit()

        if run.stage is RunStage.PUBLISHING:  # checked and locked by a worker that died
            return await _moving_in(run, worker, new_work, lease, started=time.perf_counter())
        await _retrying(start)
        async with _renewing(run, worker, new_work, lease, renew_every_s):
            clock = time.perf_counter()
            snapshot, now = await _retrying(snapshot_now)
            loaded = time.perf_counter() - clock
            await _retrying(computing)
            # The previous run's open proposals are withdrawn while the engine computes.
            withdrawing = asyncio.create_task(_withdraw_previous(run, new_work))
            try:
                outcome = await asyncio.to_thread(compute, run, snapshot, now)
                await withdrawing
            finally:
                withdrawing.cancel()
        clock = time.perf_counter()
        timed = replace(outcome, run=outcome.run.model_copy(update={"snapshot_seconds": loaded}))
        if _documents(timed) <= DIRECT_LIMIT:
            await _stage(timed, worker, new_work, lease, pairs_too=False)
            return await _retrying(
                lambda: _publish_directly(timed, snapshot, worker, new_work, lease, clock)
            )
        await _stage(timed, worker, new_work, lease)
        locked = await _retrying(lambda: _lock(timed, snapshot, worker, new_work, lease))
        return await _moving_in(locked, worker, new_work, lease, started=clock)
    except RunLost:
        log.info("matching run taken over by another worker", run_id=run.run_id)
        return run
    except StaleSnapshot as exc:
        if run.attempts >= MAX_ATTEMPTS:
            reason = f"the program kept changing during the run ({exc}); run it again"
            return await _retrying(lambda: _finish_failed(run, worker, reason, new_work))
        log.info("matching run snapshot stale; computing again", run_id=run.run_id)
        return await _retrying(lambda: _requeue(run, worker, new_work))
    except (RunRejected, Conflict) as exc:  # Conflict: the program is no longer open
        reason = str(exc)
        return await _retrying(lambda: _finish_failed(run, worker, reason, new_work))


RETRIES = 5


async def _retrying(step: Callable[[], Awaitable[T]]) -> T:
    """Run one transaction again after a write conflict or a brief outage (the next attempt
    sees what the conflicting transaction committed)."""
    for attempt in range(1, RETRIES + 1):
        try:
            return await step()
        except Exception as exc:
            if attempt == RETRIES or not is_transient(exc):
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


@asynccontextmanager
async def _renewing(
    run: MatchingRun, worker: str, new_work: NewWork, lease: LeaseClock, every_s: float
) -> AsyncIterator[None]:
    async def renew() -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                async with new_work() as uow:
                    await uow.runs.renew(run.run_id, worker, lease())
                    await uow.commit()
            except Exception as exc:  # the next renewal, or the next step, tries again
                log.warning("matching run lease renewal failed", error_class=type(exc).__name__)

    task = asyncio.create_task(renew())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _step(
    uow: PairingUnitOfWork,
    run: MatchingRun,
    worker: str,
    lease_until: datetime,
    *,
    stage: RunStage | None = None,
    started: bool = False,
) -> None:
    """Check and extend this worker's hold on the run (a write, so a concurrent take-over
    conflicts with this transaction), and record its progress."""
    if not await uow.runs.renew(run.run_id, worker, lease_until):
        raise RunLost(run.run_id)
    update: dict[str, object] = {}
    if stage is not None:
        update["stage"] = stage
    if started:
        update["started_at"] = uow.clock.now()
    if update:
        current = await uow.runs.get(run.run_id)
        if current is not None:
            await uow.runs.put(current.model_copy(update=update))


def _documents(outcome: RunOutcome) -> int:
    """What publishing the pairs writes: each pair and each event it recorded."""
    return sum(1 + len(p.pending_events) for p in outcome.pairs)


async def _stage(
    outcome: RunOutcome,
    worker: str,
    new_work: NewWork,
    lease: LeaseClock,
    *,
    pairs_too: bool = True,
) -> None:
    """The result out of sight, in small transactions: the unmatched report (shown once the
    run is proposed) and, unless they go in directly, the pairs with their events."""
    run = outcome.run

    async def clean() -> None:  # what an earlier attempt of this run left behind
        async with new_work() as uow:
            await _step(uow, run, worker, lease(), stage=RunStage.WRITING)
            await uow.pairs.discard_staged(run.run_id)
            await uow.unmatched.discard_of(run.run_id)
            await uow.commit()

    async def pairs(chunk: Sequence[Pair], first: int) -> None:
        async with new_work() as uow:
            await _step(uow, run, worker, lease())
            await uow.pairs.stage(run.run_id, chunk, first)
            await uow.commit()

    async def unmatched(entries: Sequence[UnmatchedEntry]) -> None:
        async with new_work() as uow:
            await _step(uow, run, worker, lease())
            await uow.unmatched.add_many(entries)
            await uow.commit()

    await _retrying(clean)
    for first in range(0, len(outcome.pairs) if pairs_too else 0, WRITE_CHUNK):
        chunk = outcome.pairs[first : first + WRITE_CHUNK]
        await _retrying(lambda: pairs(chunk, first))  # noqa: B023 - awaited at once
    for entries in _chunks(outcome.unmatched, WRITE_CHUNK):
        await _retrying(lambda: unmatched(entries))  # noqa: B023 - awaited at once


async def _withdraw_previous(run: MatchingRun, new_work: NewWork) -> None:
    """A newer run is being computed: the previous run's open proposals are superseded (an
    accept now answers 409), in one statement outside any transaction, so no number of them
    can outlast a transaction's time limit; it does not touch the run's document, so the lease
    renewals running meanwhile never conflict with it."""

    async def withdraw() -> None:
        async with new_work() as uow:
            await uow.pairs.withdraw_proposals(run.program_id, uow.clock.now())

    await _retrying(withdraw)


async def _lock(
    outcome: RunOutcome, snapshot: RunSnapshot, worker: str, new_work: NewWork, lease: LeaseClock
) -> MatchingRun:
    """The one check that matters, in one small transaction: nothing the result depends on
    changed since the snapshot. Then the program is locked for what could invalidate it
    (withdrawals, departures, erasures, the close wait) until the pairs are in."""
    run = outcome.run
    async with new_work() as uow:
        await _still_valid(uow, run, snapshot, worker, lease())
        await uow.rosters.set_publishing(run.program_id, run.run_id)
        locked = run.model_copy(update={"stage": RunStage.PUBLISHING})
        await uow.runs.put(locked)
        await uow.commit()
    return locked


async def _still_valid(
    uow: PairingUnitOfWork,
    run: MatchingRun,
    snapshot: RunSnapshot,
    worker: str,
    lease_until: datetime,
) -> None:
    """Nothing the result depends on changed since the snapshot (else `StaleSnapshot`); the
    program's open proposals that appeared meanwhile (normally none) are superseded."""
    await _step(uow, run, worker, lease_until)
    try:
        await open_program_for(run.program_id, "matching", uow)
    except Conflict as exc:
        raise RunRejected(f"{exc} (it changed during the run)") from exc
    if await uow.rosters.version(run.program_id) != snapshot.roster_version:
        raise StaleSnapshot("a participant withdrew or left")
    active = await uow.pairs.in_program(run.program_id, [PairStatus.ACTIVE])
    if not {p.pair_id for p in active} <= snapshot.active_pair_ids:
        raise StaleSnapshot("a proposal was accepted")
    await uow.pairs.supersede_proposals(run.program_id, uow.clock.now())


async def _publish_directly(
    outcome: RunOutcome,
    snapshot: RunSnapshot,
    worker: str,
    new_work: NewWork,
    lease: LeaseClock,
    started: float,
) -> MatchingRun:
    """A result of at most `DIRECT_LIMIT` documents: checked and written in one transaction
    (half the writes of staging, still well inside a transaction's bounds)."""
    run = outcome.run
    async with new_work() as uow:
        await _still_valid(uow, run, snapshot, worker, lease())
        # Copies: committing collects their events, and a retried attempt needs them again.
        await uow.pairs.add_many(p.model_copy() for p in outcome.pairs)
        done = run.model_copy(
            update={
                "status": RunStatus.PROPOSED,
                "stage": None,
                "finished_at": uow.clock.now(),
                "writing_seconds": time.perf_counter() - started,
            }
        )
        await uow.runs.put(done)
        await uow.rosters.set_pending_run(run.program_id, None)
        await uow.commit()
    log.info("matching run proposed", run_id=run.run_id, proposed=done.proposed)
    return done


async def _moving_in(
    run: MatchingRun, worker: str, new_work: NewWork, lease: LeaseClock, *, started: float
) -> MatchingRun:
    """Once locked, a run is never failed: after an error it is queued again as it is, and the
    next worker to claim it carries on moving its pairs in."""
    try:
        return await _move_in(run, worker, new_work, lease, started=started)
    except RunLost:
        raise
    except Exception as exc:
        log.warning(
            "matching run publication interrupted; queued to resume",
            run_id=run.run_id,
            error_class=type(exc).__name__,
        )
        with contextlib.suppress(Exception):  # else its lease runs out: the same, later
            return await _retrying(lambda: _requeue(run, worker, new_work))
        return run


async def _move_in(
    run: MatchingRun, worker: str, new_work: NewWork, lease: LeaseClock, *, started: float
) -> MatchingRun:
    """Move the staged pairs in, `WRITE_CHUNK` per transaction with their events; nothing can
    fail the run any more, and a worker taking over carries on from where this one stopped."""

    async def some() -> int:
        async with new_work() as uow:
            await _step(uow, run, worker, lease())
            moved, events = await uow.pairs.publish_staged(run.run_id, WRITE_CHUNK)
            for event in events:
                uow.emit(event)
            await uow.commit()
            return moved

    while await _retrying(some) == WRITE_CHUNK:
        pass

    async def finish() -> MatchingRun:
        async with new_work() as uow:
            await _step(uow, run, worker, lease())
            current = await uow.runs.get(run.run_id) or run
            now = uow.clock.now()
            done = current.model_copy(
                update={
                    "status": RunStatus.PROPOSED,
                    "stage": None,
                    "finished_at": now,
                    "writing_seconds": current.writing_seconds + time.perf_counter() - started,
                }
            )
            await uow.runs.put(done)
            await uow.rosters.set_publishing(run.program_id, None)
            await uow.rosters.set_pending_run(run.program_id, None)
            await uow.commit()
            return done

    done = await _retrying(finish)
    log.info(
        "matching run proposed",
        run_id=run.run_id,
        proposed=done.proposed,
        certified_optimal=done.certified_optimal,
    )
    return done


async def _requeue(run: MatchingRun, worker: str, new_work: NewWork) -> MatchingRun:
    async with new_work() as uow:
        if await uow.runs.holder(run.run_id) != worker:
            return run
        stage = run.stage if run.stage is RunStage.PUBLISHING else None  # resumed as it is
        queued = run.model_copy(update={"status": RunStatus.QUEUED, "stage": stage})
        await uow.runs.put(queued)
        await uow.commit()
    return queued


async def release_run(run: MatchingRun, worker: str, new_work: NewWork) -> None:
    """Give a run back to the queue (this worker is shutting down)."""
    await _requeue(run, worker, new_work)


async def _finish_failed(
    run: MatchingRun, worker: str, reason: str, new_work: NewWork
) -> MatchingRun:
    async with new_work() as uow:
        if await uow.runs.holder(run.run_id) != worker:
            return run
        await uow.pairs.discard_staged(run.run_id)
        await uow.unmatched.discard_of(run.run_id)
        failed = run.model_copy(
            update={
                "status": RunStatus.FAILED,
                "stage": None,
                "failure": reason,
                "proposed": 0,
                "finished_at": uow.clock.now(),
            }
        )
        await uow.runs.put(failed)
        await uow.rosters.set_pending_run(run.program_id, None)
        await uow.commit()
    log.warning("matching run failed", run_id=run.run_id, reason=reason)
    return failed


async def fail_run(run: MatchingRun, worker: str, reason: str, new_work: NewWork) -> MatchingRun:
    """Give up on a run the worker could not compute (an unexpected error)."""
    return await _finish_failed(run, worker, reason, new_work)


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
