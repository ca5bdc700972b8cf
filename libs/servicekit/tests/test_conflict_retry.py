"""A request that lost a write conflict runs again (same body) before anyone sees a 503."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Body, FastAPI
from pymongo.errors import AutoReconnect, OperationFailure

from tandem_servicekit.errors import TransientError
from tandem_servicekit.http import COMMIT_UNKNOWN, install_error_handlers
from tandem_servicekit.retrying import ConflictRetry

WRITE_CONFLICT = OperationFailure("WriteConflict", code=112)


def commit_unknown() -> OperationFailure:
    error = OperationFailure("commit timed out", code=50)
    error._add_error_label("UnknownTransactionCommitResult")
    return error


class Flaky:
    """A route failing with `error` for its first `failures` calls, recording what it got."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []

    async def __call__(self, body: dict[str, Any] = Body()) -> dict[str, Any]:  # noqa: B008
        self.bodies.append(body)
        if len(self.bodies) <= self.failures:
            raise self.error
        return {"stored": body}


def client(route: Flaky, budget_s: float = 2.0) -> httpx.AsyncClient:
    api = FastAPI()
    install_error_handlers(api)
    api.add_api_route("/command", route, methods=["POST"])
    api.add_middleware(ConflictRetry, budget_s=budget_s)
    transport = httpx.ASGITransport(api, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_a_lost_write_conflict_is_run_again_with_the_same_body() -> None:
    route = Flaky(WRITE_CONFLICT, failures=2)
    async with client(route) as http:
        reply = await http.post("/command", json={"name": "x" * 10_000})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"stored": {"name": "x" * 10_000}}
    assert len(route.bodies) == 3
    assert all(body == route.bodies[0] for body in route.bodies)


async def test_a_busy_state_is_run_again_too() -> None:
    route = Flaky(TransientError("a run is publishing here"), failures=1)
    async with client(route) as http:
        reply = await http.post("/command", json={})
    assert reply.status_code == 200
    assert len(route.bodies) == 2


async def test_a_conflict_that_outlasts_the_budget_answers_503_without_the_marker() -> None:
    route = Flaky(WRITE_CONFLICT, failures=1_000)
    async with client(route, budget_s=0.3) as http:
        reply = await http.post("/command", json={})
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "1"
    assert "x-tandem-retryable" not in reply.headers
    assert 2 <= len(route.bodies) < 1_000


async def test_no_budget_answers_at_once() -> None:
    route = Flaky(WRITE_CONFLICT, failures=1)
    async with client(route, budget_s=0) as http:
        reply = await http.post("/command", json={})
    assert reply.status_code == 503
    assert "x-tandem-retryable" not in reply.headers
    assert len(route.bodies) == 1


async def test_an_unknown_commit_and_an_outage_are_never_repeated() -> None:
    """The commit may have landed (repeating could store twice); an outage outlasts a pause."""
    for error, detail in ((commit_unknown(), COMMIT_UNKNOWN), (AutoReconnect("reset"), None)):
        route = Flaky(error, failures=1)
        async with client(route) as http:
            reply = await http.post("/command", json={})
        assert reply.status_code == 503
        assert len(route.bodies) == 1
        if detail:
            assert reply.json()["detail"] == detail


async def test_a_client_gone_mid_upload_never_runs_the_command() -> None:
    called: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(True)

    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"name": "x', "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        raise AssertionError("nothing is answered to a client that left")

    scope = {"type": "http", "method": "POST", "path": "/command", "headers": []}
    await ConflictRetry(app)(scope, receive, send)
    assert called == []
