"""The exported JSON Schemas are current (run `make schemas` after changing a model)."""

from __future__ import annotations

import json
from pathlib import Path

from tandem_contracts import EVENT_MODELS
from tandem_contracts.schemas import SCHEMA_DIR, export, rendered_schemas, stale_files


def test_checked_in_schemas_are_current() -> None:
    assert stale_files() == [], "JSON Schemas are stale: run `make schemas`"


def test_staleness_is_detected(tmp_path: Path) -> None:
    export(tmp_path)
    assert stale_files(tmp_path) == []
    victim = next(tmp_path.glob("*.json"))
    victim.write_text(victim.read_text().replace('"title"', '"titel"', 1))
    (tmp_path / "org.tandem.retired.v1.json").write_text("{}")
    assert stale_files(tmp_path) == sorted([victim.name, "org.tandem.retired.v1.json"])


def test_one_schema_per_event_with_its_routing() -> None:
    schemas = rendered_schemas()
    assert len(schemas) == len(EVENT_MODELS)
    for model in EVENT_MODELS:
        schema = json.loads(schemas[f"{model.event_type}.json"])
        assert schema["x-topic"] == model.topic
        assert schema["additionalProperties"] is False
    assert SCHEMA_DIR.name == "schemas"
