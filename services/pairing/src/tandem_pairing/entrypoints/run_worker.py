"""The matching-run worker: claims queued runs and carries each to its end, one at a time.

Every replica runs one. A run is claimed with a lease in its own document (system time); a
worker that dies mid-run stops renewing it, and any replica takes the run over once the lease
has run out (one more attempt). The HTTP request that queued a run wakes this replica's worker
at once; the others look every `poll_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram

from tandem_pairing.domain.runs import MatchingRun, RunStatus
from tandem_pairing.service.matching_runs import NewWork, execute_run, fail_run, release_run
from tandem_servicekit.logging import get_logger

log = get_logger("tandem.pairing.run_worker")


class MatchingRunWorker:
    def __init__(
        self,
        new_work: NewWork,
        registry: CollectorRegistry,
        *,
        lease_s: float = 60.0,
        poll_s: float = 2.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._new_work = new_work
        self._lease = timedelta(seconds=lease_s)
        self._poll_s = poll_s
        self._now = now
        self._wake = asyncio.Event()
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._finished = Counter(
            "tandem_pairing_matching_runs_total",
            "Matching runs this replica carried to an end, by outcome",
            ["outcome"],
            registry=registry,
        )
        self._seconds = Histogram(
            "tandem_pairing_matching_run_duration_seconds",
            "From claiming a run to its end (snapshot, engine, staging, publication)",
            buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
            registry=registry,
        )

    def notify(self) -> None:
        """A run was queued here: look now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except Exception as exc:  # the database is away: try again at the next poll
                log.warning("matching run worker pass failed", error_class=type(exc).__name__)
                worked = False
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
                self._wake.clear()

    async def run_once(self) -> bool:
        """Claim one run and carry it to its end; False when none was waiting."""
        async with self._new_work() as uow:
            run = await uow.runs.claim(self.worker_id, self._now(), self._until())
            await uow.commit()
        if run is None:
            return False
        started = asyncio.get_running_loop().time()
        renew_every_s = self._lease.total_seconds() / 4
        try:
            done = await execute_run(
                run, self.worker_id, self._new_work, self._until, renew_every_s=renew_every_s
            )
        except asyncio.CancelledError:
            await self._give_back(run)
            raise
        except Exception as exc:
            log.exception("matching run failed unexpectedly", run_id=run.run_id)
            reason = f"internal error ({type(exc).__name__}); the run can be requested again"
            done = await fail_run(run, self.worker_id, reason, self._new_work)
        if done.status in (RunStatus.PROPOSED, RunStatus.FAILED):
            self._finished.labels(done.status.value).inc()
            self._seconds.observe(asyncio.get_running_loop().time() - started)
        return True

    def _until(self) -> datetime:
        return self._now() + self._lease

    async def _give_back(self, run: MatchingRun) -> None:
        """Shutting down mid-run: queue it again at once rather than after the lease."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                asyncio.shield(release_run(run, self.worker_id, self._new_work)), 2.0
            )
