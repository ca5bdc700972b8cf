"""All four services as separate processes, on the real embedded broker and database."""

from __future__ import annotations

import httpx

from tandem_devkit.services import SERVICES, ServiceSet


def test_every_service_is_ready_and_exposes_its_metrics(platform: ServiceSet) -> None:
    assert set(platform.services) == set(SERVICES)
    for name, svc in platform.services.items():
        ready = httpx.get(svc.url + "/readyz", timeout=5)
        assert ready.status_code == 200, (name, ready.text)
        assert ready.json()["checks"] == {
            "database": True,
            "broker": True,
            "handlers": True,
            "outbox": True,
        }
        metrics = httpx.get(svc.url + "/metrics", timeout=5).text
        assert "tandem_outbox_pending_records" in metrics, name
        openapi = httpx.get(svc.url + "/openapi.json", timeout=5).json()
        assert openapi["info"]["title"] == f"Tandem {name}"
