"""HTTP pieces every service shares: probes, /metrics and error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pymongo.errors import PyMongoError

from tandem_servicekit.errors import Conflict, InvalidRequest, NotFound, is_transient
from tandem_servicekit.repository import Paging

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]
RETRY_LATER = "temporarily unavailable or changed concurrently; nothing was stored, retry"
MAX_SKIP = 1_000_000

Limit = Annotated[int, Query(ge=1, le=1000, description="items per page")]
Skip = Annotated[int, Query(ge=0, le=MAX_SKIP, description="items to skip (paging)")]


def _paging(limit: Limit = 100, skip: Skip = 0) -> Paging:
    return Paging(limit, skip)


PagingQuery = Annotated[Paging, Depends(_paging)]
"""`limit` and `skip` query parameters, bounded, as one `Paging`."""


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

    @router.get("/readyz", summary="Readiness: broker and database reachable, handling not stuck")
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        payload = await asyncio.to_thread(generate_latest, registry)
        return Response(payload, media_type=CONTENT_TYPE_LATEST)

    return router


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors become precise HTTP answers, never a 500."""

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(InvalidRequest)
    async def invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        detail = [
            {"loc": ["body", *exc.field.split(".")], "msg": exc.message, "type": "value_error"}
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(PyMongoError)
    async def database(_: Request, exc: PyMongoError) -> JSONResponse:
        """An outage or a write conflict with a concurrent request: nothing was stored, retry."""
        if not is_transient(exc):
            raise exc
        return JSONResponse(
            {"detail": RETRY_LATER},
            status_code=503,
            headers={"Retry-After": "1"},
        )
