"""Each service reads its own environment prefix and assembles its app in one place."""

from __future__ import annotations

import importlib

import pytest

PORTS = {"pairing": 8081, "scheduling": 8082, "feedback": 8083, "metrics": 8084}


@pytest.mark.parametrize("name", sorted(PORTS))
def test_service_settings_and_app(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    settings_mod = importlib.import_module(f"tandem_{name}.settings")
    bootstrap = importlib.import_module(f"tandem_{name}.bootstrap")
    settings_cls = getattr(settings_mod, f"{name.capitalize()}Settings")
    monkeypatch.setenv(f"TANDEM_{name.upper()}_KAFKA__PROFILE", "embedded")
    settings = settings_cls()
    assert settings.service_name == name
    assert settings.http_port == PORTS[name]
    assert settings.mongo.database == f"tandem_{name}"
    assert settings.kafka.profile.value == "embedded"
    app = bootstrap.build_app(settings)
    assert {"/healthz", "/readyz", "/metrics"} <= set(app.openapi()["paths"])
