"""HTTP pieces every service shares: probes, /metrics and error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, DocumentTooLarge, OperationFailure, PyMongoError

from tandem_servicekit.auth import Principal
from tandem_servicekit.errors import (
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    TransientError,
    is_transient,
)
from tandem_servicekit.repository import Paging
from tandem_servicekit.retrying import RETRY_MARKER

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
RETRY_LATER = "temporarily unavailable or changed concurrently; nothing was stored, retry"
COMMIT_UNKNOWN = "the database did not confirm the commit: check whether it took effect, then retry"
MAX_SKIP = 1_000_000
_TOO_LARGE_CODES = (10334, 17419, 17420)  # BSONObjectTooLarge and friends

PathId = Annotated[str, Path(min_length=1, max_length=128, description="an id")]
QueryId = Annotated[str, Query(min_length=1, max_length=128, description="an id")]
Limit = Annotated[int, Query(ge=1, le=1000, description="items per page")]
Skip = Annotated[int, Query(ge=0, le=MAX_SKIP, description="items to skip (paging)")]


def _paging(limit: Limit = 100, skip: Skip = 0) -> Paging:
    return Paging(limit, skip)


PagingQuery = Annotated[Paging, Depends(_paging)]
"""`limit` and `skip` query parameters, bounded, as one `Paging`."""


def _caller(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


Caller = Annotated[Principal, Depends(_caller)]
"""The verified principal of the request (set by the auth guard)."""


async def unit_of_work(request: Request) -> AsyncIterator[Any]:
    """One unit of work per request, from the factory the service's bootstrap put on the app
    (`app.state.unit_of_work`); a service types it with `Annotated[ItsPort, Depends(...)]`."""
    factory: Callable[[], Any] = request.app.state.unit_of_work
    async with factory() as work:
        yield work


def probes_router(readiness: ReadinessCheck, registry: CollectorRegistry) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers (no dependency calls)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: broker and database reachable, handling not stuck",
        responses={503: {"description": "Not ready: `checks` names what is failing"}},
    )
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/metrics",
        summary="Prometheus metrics (text exposition format)",
        response_class=PlainTextResponse,
        responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
    )
    async def metrics() -> Response:
        payload = await asyncio.to_thread(generate_latest, registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    return router


class ErrorBody(BaseModel):
    detail: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Malformed request"},
    403: {"model": ErrorBody, "description": "The caller's roles do not allow this"},
    404: {"model": ErrorBody, "description": "The addressed resource does not exist"},
    409: {"model": ErrorBody, "description": "The request contradicts the current state"},
    413: {"model": ErrorBody, "description": "Request body or resulting document too large"},
    415: {"model": ErrorBody, "description": "A state-changing request must send JSON"},
    503: {
        "model": ErrorBody,
        "description": "Temporarily unavailable or changed concurrently: nothing was stored, "
        "retry after `Retry-After` seconds",
    },
}
"""Documented on every service route (FastAPI documents 422 itself)."""


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors become precise HTTP answers, never a 500."""

    @app.exception_handler(RequestValidationError)
    async def validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        """FastAPI's 422 without `input` and `ctx`: the answer names what is wrong, it never
        echoes the request (a large body would come back once per error)."""
        detail = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", ""))[:500], "type": e["type"]}
            for e in exc.errors()[:50]
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidRequest)
    async def invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        detail = [
            {"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "value_error"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DocumentTooLarge)
    async def too_large(_: Request, exc: DocumentTooLarge) -> JSONResponse:
        return JSONResponse({"detail": "the resulting document is too large"}, status_code=413)

    @app.exception_handler(TransientError)
    async def busy(_: Request, exc: TransientError) -> JSONResponse:
        """A state the service leaves within seconds by itself (nothing was stored): retry."""
        return JSONResponse(
            {"detail": str(exc) or RETRY_LATER},
            status_code=503,
            headers={"Retry-After": "2", RETRY_MARKER.decode(): "1"},
        )

    @app.exception_handler(PyMongoError)
    async def database(_: Request, exc: PyMongoError) -> JSONResponse:
        """An outage or a write conflict with a concurrent request: nothing was stored, retry."""
        if isinstance(exc, OperationFailure) and exc.code in _TOO_LARGE_CODES:
            return await too_large(_, DocumentTooLarge(str(exc)))
        if not is_transient(exc):
            raise exc
        if exc.has_error_label("UnknownTransactionCommitResult"):
            return JSONResponse(
                {"detail": COMMIT_UNKNOWN}, status_code=503, headers={"Retry-After": "1"}
            )
        headers = {"Retry-After": "1"}
        if not isinstance(exc, ConnectionFailure):  # a lost race, not an outage: run it again
            headers[RETRY_MARKER.decode()] = "1"
        return JSONResponse({"detail": RETRY_LATER}, status_code=503, headers=headers)
