"""Domain errors and outages map to precise HTTP answers, never a bare 500."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI
from pymongo.errors import AutoReconnect, OperationFailure

from tandem_servicekit.errors import Conflict, InvalidRequest, NotFound
from tandem_servicekit.http import install_error_handlers

ERRORS: dict[str, Exception] = {
    "missing": NotFound("program p-1 not found"),
    "conflict": Conflict("already enrolled"),
    "invalid": InvalidRequest("preferences.avoid", "cannot name yourself"),
    "outage": AutoReconnect("connection reset"),
    "write-conflict": OperationFailure("WriteConflict", code=112),
    "bug": OperationFailure("bad query", code=2),
}


def failing(error: Exception) -> Callable[[], Awaitable[None]]:
    async def fail() -> None:
        raise error

    return fail


def app() -> FastAPI:
    api = FastAPI()
    install_error_handlers(api)
    for name, error in ERRORS.items():
        api.add_api_route(f"/{name}", failing(error))
    return api


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("missing", 404),
        ("conflict", 409),
        ("invalid", 422),
        ("outage", 503),
        ("write-conflict", 503),
    ],
)
async def test_error_mapping(path: str, status: int) -> None:
    transport = httpx.ASGITransport(app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        reply = await http.get(f"/{path}")
    assert reply.status_code == status
    if status == 422:
        assert reply.json()["detail"][0]["loc"] == ["body", "preferences", "avoid"]
    if status == 503:
        assert reply.headers["retry-after"] == "1"


async def test_a_real_bug_is_not_disguised_as_an_outage() -> None:
    transport = httpx.ASGITransport(app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        assert (await http.get("/bug")).status_code == 500
