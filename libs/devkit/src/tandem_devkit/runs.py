"""Requesting a matching run over HTTP and waiting for its end, as an integrator would."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

FINISHED = ("proposed", "failed")


class RunNotFinished(AssertionError):
    """A run was still pending when the caller stopped waiting."""


async def wait_for_run(
    http: httpx.AsyncClient,
    run_id: str,
    *,
    headers: dict[str, str] | None = None,
    timeout_s: float = 300.0,
    poll_s: float = 0.05,
) -> dict[str, Any]:
    """Poll `GET /matching-runs/{run_id}` until the run is proposed or failed."""
    deadline = time.monotonic() + timeout_s
    while True:
        reply = await http.get(f"/matching-runs/{run_id}", headers=headers)
        reply.raise_for_status()
        run: dict[str, Any] = reply.json()
        if run["status"] in FINISHED:
            return run
        if time.monotonic() > deadline:
            raise RunNotFinished(f"run {run_id} still {run['status']} after {timeout_s} s")
        await asyncio.sleep(poll_s)


async def run_matching(
    http: httpx.AsyncClient,
    program_id: str,
    *,
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    timeout_s: float = 300.0,
) -> dict[str, Any]:
    """Queue a run (202) and return it once finished; raises if it failed."""
    reply = await http.post(f"/programs/{program_id}/matching-runs", headers=headers, json=body)
    if reply.status_code != 202:
        raise AssertionError(f"matching run not queued: {reply.status_code} {reply.text}")
    run = await wait_for_run(http, reply.json()["run_id"], headers=headers, timeout_s=timeout_s)
    if run["status"] != "proposed":
        raise AssertionError(f"matching run failed: {run.get('failure')}")
    return run
