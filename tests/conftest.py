"""End-to-end fixtures: the four services as separate processes on the embedded stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tandem_devkit.embedded import StackInfo
from tandem_devkit.services import ServiceSet, start_services, wait_ready


@pytest.fixture(scope="module")
def platform(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceSet]:
    """All four services, isolated by a topic prefix and database suffix of their own."""
    log_dir: Path = tmp_path_factory.mktemp("e2e-logs")
    token = log_dir.name.replace("-", "_")
    running = start_services(
        embedded_stack, log_dir, topic_prefix=f"e2e{token}.", database_suffix=f"_{token}"
    )
    try:
        wait_ready(running, timeout_s=90)
        yield running
    finally:
        running.stop()
