"""Fixtures: the scheduling service in-process on the real embedded broker and database,
on a fake clock the tests move (its ticker runs every 50 ms)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness, running_service, service_settings
from tandem_scheduling.bootstrap import build_app
from tandem_scheduling.settings import SchedulingRules, SchedulingSettings
from tandem_servicekit.clock import FakeClock

from .test_handlers import NOW


@dataclass
class Scheduling(ServiceHarness):
    clock: FakeClock | None = None
    stack: StackInfo | None = None

    def as_participant(self, employee_id: str) -> dict[str, str]:
        assert self.stack is not None
        return self.stack.auth_headers(employee_id, ["participant"])


Launcher = Callable[[FakeClock], AbstractAsyncContextManager[Scheduling]]


@asynccontextmanager
async def _started(
    settings: SchedulingSettings, stack: StackInfo, clock: FakeClock
) -> AsyncIterator[Scheduling]:
    manager = stack.auth_headers("pm", ["program_manager"])
    async with running_service(partial(build_app, clock=clock), settings, manager) as harness:
        yield Scheduling(**vars(harness), clock=clock, stack=stack)


@pytest.fixture
def launch(embedded_stack: StackInfo, unique: str) -> Launcher:
    """Start the service (again) on the same topics and database with the given clock."""
    settings = service_settings(
        SchedulingSettings, embedded_stack, unique, rules=SchedulingRules(tick_interval_s=0.05)
    )
    return partial(_started, settings, embedded_stack)


@pytest.fixture
async def scheduling(launch: Launcher) -> AsyncIterator[Scheduling]:
    async with launch(FakeClock(NOW)) as harness:
        yield harness
