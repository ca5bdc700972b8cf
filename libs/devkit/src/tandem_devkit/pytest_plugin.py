"""pytest fixtures: one embedded broker and database per test session, unique names per test.

Set TANDEM_TEST_KAFKA and TANDEM_TEST_MONGO to run the same tests against real servers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tandem_devkit.embedded import StackInfo, start_issuer, start_stack, stop_stack


@pytest.fixture(scope="session")
def embedded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackInfo]:
    kafka, mongo = os.environ.get("TANDEM_TEST_KAFKA"), os.environ.get("TANDEM_TEST_MONGO")
    if kafka and mongo:
        state = tmp_path_factory.mktemp("issuer")
        url, pid = start_issuer(state)
        info = StackInfo(kafka, mongo, 0, 0, str(state), issuer_url=url, issuer_pid=pid)
        try:
            yield info
        finally:
            stop_stack(info)
        return
    info = start_stack(tmp_path_factory.mktemp("embedded"))
    try:
        yield info
    finally:
        stop_stack(info)


@pytest.fixture
def unique() -> str:
    """A short random token for topic prefixes, database names and ids of one test."""
    return uuid.uuid4().hex[:10]
