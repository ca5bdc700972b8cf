"""Probes: /healthz never touches dependencies, /readyz tells whether they answer."""

from __future__ import annotations

import httpx

from tandem_devkit.embedded import free_port
from tandem_servicekit.runtime import ServiceRuntime
from tandem_servicekit.settings import MongoSettings, ServiceSettings
from tandem_servicekit.uow import MongoUnitOfWork


async def test_ready_service_answers_all_probes(settings: ServiceSettings) -> None:
    runtime = ServiceRuntime(settings, MongoUnitOfWork)
    app = runtime.http_app(title="probe test")
    await runtime.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://t"
        ) as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["checks"] == {
                "database": True,
                "broker": True,
                "handlers": True,
                "consumers": True,
                "outbox": True,
            }
            metrics = (await http.get("/metrics")).text
            assert "tandem_outbox_pending_records" in metrics
            assert "# TYPE tandem_consumer_records_total counter" in metrics
            assert (await http.get("/openapi.json")).status_code == 401, "only the probes are open"
    finally:
        await runtime.stop()


async def test_unreachable_database_makes_it_unready_but_alive(settings: ServiceSettings) -> None:
    dead = settings.model_copy(
        update={
            "mongo": MongoSettings(
                uri=f"mongodb://127.0.0.1:{free_port()}/?retryWrites=false",
                database="nowhere",
                server_selection_timeout_ms=200,
            )
        }
    )
    runtime = ServiceRuntime(dead, MongoUnitOfWork)
    app = runtime.http_app(title="probe test")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False
    await runtime.mongo.close()
