"""The AsyncAPI 3 document of a service, served at `/asyncapi.json` next to OpenAPI.

faststream describes the servers, channels and operations from the broker's subscribers and
declared publishers; Tandem's handlers take raw records (the CloudEvents codec decodes them),
so the messages are filled in from the contracts: one message per event type, with the
CloudEvents headers, the record key and the JSON Schema of `libs/contracts` as payload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from faststream.specification import AsyncAPI
from pydantic.json_schema import models_json_schema

from tandem_contracts import Event
from tandem_contracts.cloudevents import CONTENT_TYPE, SPEC_VERSION

if TYPE_CHECKING:
    from tandem_servicekit.runtime import ServiceRuntime

REF = "#/components/schemas/{model}"
RECEIVE, SEND = "receive", "send"


class EventCatalogue:
    """Which event types a service consumes and publishes, per topic (contract names)."""

    def __init__(self) -> None:
        self.consumed: dict[str, tuple[type[Event], ...]] = {}
        self.published: dict[str, tuple[type[Event], ...]] = {}

    def consumes(self, topic: str, types: Iterable[type[Event]]) -> None:
        self.consumed[topic] = (*self.consumed.get(topic, ()), *types)

    def publishes(self, topic: str, types: Iterable[type[Event]]) -> None:
        self.published[topic] = (*self.published.get(topic, ()), *types)

    def all_types(self) -> list[type[Event]]:
        found: dict[str, type[Event]] = {}
        for types in (*self.consumed.values(), *self.published.values()):
            found.update((t.event_type, t) for t in types)
        return sorted(found.values(), key=lambda t: t.event_type)


def asyncapi_document(runtime: ServiceRuntime[Any], catalogue: EventCatalogue) -> dict[str, Any]:
    settings = runtime.settings
    doc: dict[str, Any] = (
        AsyncAPI(
            runtime.broker,
            title=f"Tandem {settings.service_name}",
            version="1.0.0",
            description=f"Events the {settings.service_name} service consumes and publishes "
            "(CloudEvents 1.0, Kafka binary mode).",
            schema_version="3.0.0",
        )
        .to_specification()
        .to_jsonable()
    )
    by_address = {
        RECEIVE: {settings.kafka.topic(t): types for t, types in catalogue.consumed.items()},
        SEND: {settings.kafka.topic(t): types for t, types in catalogue.published.items()},
    }
    for operation in doc.get("operations", {}).values():
        channel_name = operation["channel"]["$ref"].split("/")[-1]
        channel = doc["channels"][channel_name]
        types = by_address[operation["action"]].get(channel["address"], ())
        channel["messages"] = {
            t.__name__: {"$ref": f"#/components/messages/{t.__name__}"} for t in types
        }
        operation["messages"] = [
            {"$ref": f"#/channels/{channel_name}/messages/{t.__name__}"} for t in types
        ]
    every = catalogue.all_types()
    _, definitions = models_json_schema([(t, "validation") for t in every], ref_template=REF)
    doc["components"] = {
        "messages": {t.__name__: _message(t) for t in every},
        "schemas": definitions.get("$defs", {}),
    }
    return doc


def _message(model: type[Event]) -> dict[str, Any]:
    summary = (model.__doc__ or model.__name__).strip().splitlines()[0]
    return {
        "name": model.__name__,
        "title": model.event_type,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
            "properties": {
                "ce_specversion": {"const": SPEC_VERSION},
                "ce_id": {"type": "string", "description": "unique; consumers dedupe on it"},
                "ce_source": {"type": "string"},
                "ce_type": {"const": model.event_type},
                "ce_time": {"type": "string", "format": "date-time"},
                "ce_subject": {"type": "string", "description": f"the {model.key_field}"},
                "content-type": {"const": CONTENT_TYPE},
            },
        },
        "payload": {"$ref": REF.format(model=model.__name__)},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"the {model.key_field}"},
                "bindingVersion": "0.5.0",
            }
        },
        "x-ce-type": model.event_type,
        "x-topic": model.topic,
    }


def asyncapi_router(document: Callable[[], dict[str, Any]]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/asyncapi.json", summary="AsyncAPI 3 document: the topics and event payloads")
    async def asyncapi() -> dict[str, Any]:
        return document()

    return router
