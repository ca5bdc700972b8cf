"""Fixtures: the metrics service in-process on the real embedded broker and database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import ServiceHarness, running_service, service_settings
from tandem_metrics.bootstrap import build_app
from tandem_metrics.settings import MetricsRules, MetricsSettings
from tandem_servicekit.clock import FakeClock

from .test_oracle_properties import T0


@pytest.fixture
async def metrics_service(embedded_stack: StackInfo, unique: str) -> AsyncIterator[ServiceHarness]:
    rules = MetricsRules(refresh_s=0.1, anonymity_threshold=3)
    settings = service_settings(MetricsSettings, embedded_stack, unique, rules=rules)
    clock = FakeClock(T0.replace(day=20))
    manager = embedded_stack.auth_headers("pm", ["program_manager"])
    async with running_service(partial(build_app, clock=clock), settings, manager) as harness:
        yield harness
