"""The start-up warm-up: readiness waits for it, but never for ever."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tandem_pairing.entrypoints import warmup
from tandem_pairing.entrypoints.warmup import EngineWarmup


async def test_ready_once_the_engine_ran_on_a_small_company() -> None:
    state = EngineWarmup(timeout_s=300)
    assert not state.ready()
    await state.run()
    assert state.ready()


@pytest.mark.parametrize("behaviour", ["slow", "broken"])
async def test_a_slow_or_broken_warm_up_does_not_keep_the_service_unready(
    behaviour: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stand_in() -> dict[str, Any]:
        if behaviour == "broken":
            raise RuntimeError("no compiler")
        time.sleep(2)
        return {"compiled": [], "threading_layer": "omp"}

    monkeypatch.setattr(warmup, "warm", stand_in)
    state = EngineWarmup(timeout_s=0.2)
    started = time.perf_counter()
    await asyncio.wait_for(state.run(), 5)
    assert state.ready()
    assert time.perf_counter() - started < 1.5, "bounded by the timeout, not the warm-up"
