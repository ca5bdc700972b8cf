"""Fixtures: the feedback service in-process on the real embedded broker and database, on a
fake clock the tests move (its ticker runs every 50 ms)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from functools import partial

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness, running_service, service_settings
from tandem_feedback.bootstrap import build_app
from tandem_feedback.settings import FeedbackRules, FeedbackSettings
from tandem_servicekit.clock import FakeClock

from .builders import NOW


@dataclass
class Feedback(ServiceHarness):
    clock: FakeClock | None = None
    stack: StackInfo | None = None

    def as_participant(self, employee_id: str) -> dict[str, str]:
        assert self.stack is not None
        return self.stack.auth_headers(employee_id, ["participant"])


Launcher = Callable[[FakeClock], AbstractAsyncContextManager[Feedback]]


@asynccontextmanager
async def _started(
    settings: FeedbackSettings, stack: StackInfo, clock: FakeClock
) -> AsyncIterator[Feedback]:
    manager = stack.auth_headers("pm", ["program_manager"])
    async with running_service(partial(build_app, clock=clock), settings, manager) as harness:
        yield Feedback(**vars(harness), clock=clock, stack=stack)


@pytest.fixture
def launch(embedded_stack: StackInfo, unique: str) -> Launcher:
    """Start the service (again) on the same topics and database with the given clock."""
    rules = FeedbackRules(tick_interval_s=0.05, anonymity_threshold=3)
    settings = service_settings(FeedbackSettings, embedded_stack, unique, rules=rules)
    return partial(_started, settings, embedded_stack)


@pytest.fixture
async def feedback_service(launch: Launcher) -> AsyncIterator[Feedback]:
    async with launch(FakeClock(NOW)) as harness:
        yield harness
