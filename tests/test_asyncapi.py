"""Every service serves an AsyncAPI 3 document naming each event it consumes or publishes,
with the payload schema from libs/contracts, and every reference in it resolves."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
import pytest
from pydantic.json_schema import models_json_schema

from tandem_contracts import EVENTS_BY_TYPE
from tandem_contracts.registry import events_on
from tandem_contracts.topics import FEEDBACK, HR_EMPLOYEES, PAIRING, PRIVACY, SCHEDULING
from tandem_devkit.embedded import StackInfo
from tandem_devkit.harness import service_settings

SERVICES = ("pairing", "scheduling", "feedback", "metrics")
ERASURE = "org.tandem.hr.employee_erasure_requested.v1"
ERASED = "org.tandem.privacy.personal_data_erased.v1"
SKELETON = {("receive", HR_EMPLOYEES): {ERASURE}, ("send", PRIVACY): {ERASED}}
EXPECTED = {
    "pairing": {
        ("receive", HR_EMPLOYEES): {
            "org.tandem.hr.employee_hired.v1",
            "org.tandem.hr.employee_updated.v1",
            "org.tandem.hr.employee_departed.v1",
            ERASURE,
        },
        ("send", PAIRING): {
            "org.tandem.pairing.program_opened.v1",
            "org.tandem.pairing.program_closed.v1",
            "org.tandem.pairing.participant_enrolled.v1",
            "org.tandem.pairing.participant_withdrawn.v1",
            "org.tandem.pairing.pair_created.v1",
            "org.tandem.pairing.pair_declined.v1",
            "org.tandem.pairing.pair_ended.v1",
        },
        ("send", PRIVACY): {ERASED},
        ("send", HR_EMPLOYEES): {ERASURE},
    },
    "scheduling": {
        ("receive", HR_EMPLOYEES): {
            "org.tandem.hr.employee_hired.v1",
            "org.tandem.hr.employee_updated.v1",
            "org.tandem.hr.employee_departed.v1",
            ERASURE,
        },
        ("receive", PAIRING): {
            "org.tandem.pairing.program_opened.v1",
            "org.tandem.pairing.program_closed.v1",
            "org.tandem.pairing.pair_created.v1",
            "org.tandem.pairing.pair_ended.v1",
        },
        ("send", SCHEDULING): {
            "org.tandem.scheduling.session_scheduled.v1",
            "org.tandem.scheduling.session_rescheduled.v1",
            "org.tandem.scheduling.session_cancelled.v1",
            "org.tandem.scheduling.session_held.v1",
            "org.tandem.scheduling.session_missed.v1",
            "org.tandem.scheduling.session_unschedulable.v1",
            "org.tandem.scheduling.session_reminder_due.v1",
        },
        ("send", PRIVACY): {ERASED},
    },
    "feedback": {
        **SKELETON,
        ("receive", PAIRING): {
            "org.tandem.pairing.program_opened.v1",
            "org.tandem.pairing.program_closed.v1",
            "org.tandem.pairing.pair_created.v1",
            "org.tandem.pairing.pair_ended.v1",
        },
        ("receive", SCHEDULING): {"org.tandem.scheduling.session_held.v1"},
        ("send", FEEDBACK): {
            f"org.tandem.feedback.{name}.v1"
            for name in (
                "goal_set",
                "goal_progressed",
                "goal_achieved",
                "feedback_requested",
                "feedback_reminder_due",
                "feedback_submitted",
                "assessment_due",
                "assessment_overdue",
                "competence_assessed",
                "survey_due",
                "survey_answered",
            )
        },
    },
    "metrics": {
        ("receive", topic): {m.event_type for m in events_on(topic)}
        for topic in (HR_EMPLOYEES, PAIRING, SCHEDULING, FEEDBACK)
    }
    | {("send", PRIVACY): {ERASED}},
}


async def document(name: str, stack: StackInfo) -> dict[str, Any]:
    bootstrap = importlib.import_module(f"tandem_{name}.bootstrap")
    settings_class = getattr(
        importlib.import_module(f"tandem_{name}.settings"), f"{name.capitalize()}Settings"
    )
    settings = service_settings(settings_class, stack, "asyncapi")
    app = bootstrap.build_app(settings)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=stack.auth_headers()
    ) as http:
        response = await http.get("/asyncapi.json")
    assert response.status_code == 200
    doc: dict[str, Any] = response.json()
    doc["x-test-topic-prefix"] = settings.kafka.topic_prefix
    return doc


def resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert part in node, f"dangling reference {ref}"
        node = node[part]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


@pytest.mark.parametrize("name", SERVICES)
async def test_the_document_lists_each_event_with_its_contract_schema(
    name: str, embedded_stack: StackInfo
) -> None:
    doc = await document(name, embedded_stack)
    assert doc["asyncapi"] == "3.0.0"
    for ref in refs(doc):
        resolve(doc, ref)
    found: dict[tuple[str, str], set[str]] = {}
    for operation in doc.get("operations", {}).values():
        channel = resolve(doc, operation["channel"]["$ref"])
        topic = channel["address"].removeprefix(doc["x-test-topic-prefix"])
        types = found.setdefault((operation["action"], topic), set())
        for message_ref in operation["messages"]:
            message = resolve(doc, message_ref["$ref"])
            if "$ref" in message:
                message = resolve(doc, message["$ref"])
            types.add(message["x-ce-type"])
            model = EVENTS_BY_TYPE[message["x-ce-type"]]
            assert message["headers"]["properties"]["ce_type"]["const"] == model.event_type
            payload = resolve(doc, message["payload"]["$ref"])
            _, expected = models_json_schema(
                [(model, "validation")], ref_template="#/components/schemas/{model}"
            )
            assert payload == expected["$defs"][model.__name__], model.__name__
    assert found == EXPECTED.get(name, {})
