"""A shutdown step ends at its deadline even when what it waits for ignores cancellation."""

from __future__ import annotations

import asyncio

import pytest

from tandem_servicekit.shutdown import bounded, cancelled


class Stubborn:
    """Swallows the first cancellation and goes on working until released (what aiokafka's
    group coordinator does when its close is cancelled mid-join)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.finished = False

    async def run(self) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await self.release.wait()
        self.finished = True


async def test_a_step_that_ignores_its_cancellation_is_left_behind() -> None:
    stubborn = Stubborn()
    assert await bounded("stubborn", stubborn.run(), timeout_s=0.05) is False
    assert not stubborn.finished, "the stop did not wait for it"
    stubborn.release.set()
    await asyncio.sleep(0)


async def test_a_step_that_finishes_in_time_is_awaited_and_its_error_raised() -> None:
    async def quick() -> None:
        await asyncio.sleep(0)

    async def failing() -> None:
        raise RuntimeError("broken")

    assert await bounded("quick", quick(), timeout_s=5) is True
    with pytest.raises(RuntimeError, match="broken"):
        await bounded("failing", failing(), timeout_s=5)


async def test_background_tasks_that_ignore_cancellation_are_left_behind() -> None:
    stubborn = Stubborn()
    tasks = [asyncio.create_task(stubborn.run()), asyncio.create_task(asyncio.sleep(3600))]
    await asyncio.sleep(0)
    assert await cancelled("tasks", tasks, timeout_s=0.05) is False
    assert tasks[1].cancelled()
    assert not tasks[0].done(), "still unwinding, not waited for"
    stubborn.release.set()
    await asyncio.sleep(0)


async def test_tasks_that_unwind_or_had_failed_are_all_stopped() -> None:
    async def failing() -> None:
        raise RuntimeError("failed before the stop")

    tasks = [asyncio.create_task(asyncio.sleep(3600)), asyncio.create_task(failing())]
    await asyncio.sleep(0)
    assert await cancelled("tasks", tasks, timeout_s=5) is True
