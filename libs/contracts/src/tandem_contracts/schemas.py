"""Export every event's JSON Schema into the repository, for integrators in other languages.

`python -m tandem_contracts.schemas export` rewrites them; `check` exits 1 when they are stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tandem_contracts.registry import EVENT_MODELS

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def rendered_schemas() -> dict[str, str]:
    """File name → schema text, for every event model."""
    rendered: dict[str, str] = {}
    for model in EVENT_MODELS:
        schema: dict[str, Any] = model.model_json_schema(mode="serialization")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:tandem:event:{model.event_type}",
            "x-ce-type": model.event_type,
            "x-topic": model.topic,
            "x-key": model.key_field,
            **schema,
        }
        rendered[f"{model.event_type}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def stale_files(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files that are missing, differ, or belong to no model."""
    expected = rendered_schemas()
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text() != text
    ]
    stale += [p.name for p in directory.glob("*.json") if p.name not in expected]
    return sorted(stale)


def export(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    expected = rendered_schemas()
    for path in directory.glob("*.json"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (directory / name).write_text(text)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "export":
        export()
        print(f"wrote {len(EVENT_MODELS)} schemas to {SCHEMA_DIR}")
        return 0
    if command == "check":
        stale = stale_files()
        if stale:
            print("stale JSON Schemas (run `make schemas`): " + ", ".join(stale))
            return 1
        return 0
    print("usage: python -m tandem_contracts.schemas [export|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
