"""Malformed records for every consumed topic, each with the DLQ reason it must get.

Each kind breaks a valid record of a type that travels on the topic (from the contract's
examples) in one way an outside producer could: headers missing, null, misspelled or not UTF-8,
structured mode, an unknown type, an event of another topic, a value that is no JSON, no object,
too large, or that breaks the schema (a missing field, a naive datetime), a key that is not the
aggregate's. Every record carries `x-poison-id`, so its DLQ copies can be told apart; the ids
of valid records never appear (`poison-…` keys and ids), so nothing here can touch real state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from tandem_contracts import Event, encode
from tandem_contracts.examples import example_events
from tandem_contracts.registry import EVENT_MODELS, events_on

Headers = list[tuple[str, bytes | None]]
POISON_HEADER = "x-poison-id"


@dataclass(frozen=True)
class Poison:
    poison_id: str
    topic: str
    """The contract topic (without a prefix)."""
    key: bytes | None
    value: bytes | None
    headers: Headers
    reason: str
    """The DLQ reason every consumer group of the topic must give it."""


Template = tuple[bytes, bytes, Headers, Event]
Breaker = Callable[[Template], tuple[bytes | None, bytes | None, Headers]]


def _set(headers: Headers, name: str, value: bytes | None) -> Headers:
    return [(k, value if k == name else v) for k, v in headers]


def _drop(headers: Headers, name: str) -> Headers:
    return [(k, v) for k, v in headers if k != name]


def _value(template: Template, change: Callable[[dict[str, object]], object]) -> bytes:
    data = json.loads(template[1])
    change(data)
    return json.dumps(data).encode()


def _naive_time(template: Template) -> bytes:
    """The first datetime field, written without its offset."""
    event = template[3]
    field = next(name for name, value in event.__dict__.items() if isinstance(value, datetime))

    def naive(data: dict[str, object]) -> None:
        data[field] = "2027-01-11T09:00:00"

    return _value(template, naive)


def _without_required(template: Template) -> bytes:
    event = template[3]
    field = next(name for name, info in type(event).model_fields.items() if info.is_required())
    return _value(template, lambda data: data.pop(field))


def _structured(template: Template) -> tuple[bytes, bytes, Headers]:
    key, value, headers, _ = template
    envelope = {k.removeprefix("ce_"): (v or b"").decode() for k, v in headers}
    envelope["data"] = json.loads(value)
    return key, json.dumps(envelope).encode(), [("content-type", b"application/cloudevents+json")]


KINDS: dict[str, tuple[str, Breaker]] = {
    "no headers": ("missing_header", lambda t: (t[0], t[1], [])),
    "no ce_id": ("missing_header", lambda t: (t[0], t[1], _drop(t[2], "ce_id"))),
    "upper-case CE_ headers": (
        "missing_header",
        lambda t: (t[0], t[1], [(k.upper(), v) for k, v in t[2]]),
    ),
    "empty ce_source": ("invalid_header", lambda t: (t[0], t[1], _set(t[2], "ce_source", b" "))),
    "null header value": ("invalid_header", lambda t: (t[0], t[1], _set(t[2], "ce_id", None))),
    "non-UTF-8 header": (
        "invalid_header",
        lambda t: (t[0], t[1], _set(t[2], "ce_id", b"\xff\xfe")),
    ),
    "ce_time without offset": (
        "invalid_header",
        lambda t: (t[0], t[1], _set(t[2], "ce_time", b"2027-01-11T09:00:00")),
    ),
    "old specversion": (
        "unsupported_specversion",
        lambda t: (t[0], t[1], _set(t[2], "ce_specversion", b"0.3")),
    ),
    "structured mode": ("unsupported_content_type", _structured),
    "unknown type": (
        "unknown_type",
        lambda t: (t[0], t[1], _set(t[2], "ce_type", b"org.tandem.any.thing_happened.v1")),
    ),
    "null value": ("null_value", lambda t: (t[0], None, t[2])),
    "not JSON": ("not_json", lambda t: (t[0], b"<event/>", t[2])),
    "JSON array": ("not_an_object", lambda t: (t[0], b"[1, 2, 3]", t[2])),
    "oversized": ("oversized", lambda t: (t[0], b'{"x": "' + b"a" * 600_000 + b'"}', t[2])),
    "missing field": ("invalid_data", lambda t: (t[0], _without_required(t), t[2])),
    "naive datetime": ("invalid_data", lambda t: (t[0], _naive_time(t), t[2])),
    "key of another aggregate": ("key_mismatch", lambda t: (b"poison-other", t[1], t[2])),
}
RARE = {"oversized": 2}
"""Kinds sent fewer times than the others (600 KB each)."""


def _templates(types: tuple[type[Event], ...]) -> list[Template]:
    """Valid records of `types`, their ids and keys replaced by `poison-…`."""
    found: list[Template] = []
    for n, event in enumerate(e for e in example_events() if isinstance(e, types)):
        key_field = type(event).key_field
        renamed = event.model_copy(update={key_field: f"poison-{key_field}-{n}"})
        record = encode(renamed, source="/poison", event_id=f"poison-{event.event_type}-{n}")
        found.append((record.key, record.value, list(record.headers), renamed))
    return found


def _wrong_topic(topic: str) -> Template:
    """A valid event of a type that travels on another topic."""
    model = next(m for m in EVENT_MODELS if m.topic != topic)
    event = next(e for e in example_events() if isinstance(e, model))
    record = encode(event, source="/poison", event_id=f"poison-wrong-{topic}")
    return record.key, record.value, list(record.headers), event


def poison_for(topic: str, types: tuple[type[Event], ...], copies: int = 8) -> Iterator[Poison]:
    """`copies` records of every kind (fewer of the rare ones) for one contract topic, made
    from `types`: types every consumer of the topic handles (the value of a type a consumer
    does not handle is never read, so it could not tell a broken one)."""
    templates = _templates(types)
    assert templates, f"no example event of {types}"
    assert all(t in events_on(topic) for t in types), f"not all of {types} travel on {topic}"
    for kind, (reason, breaker) in KINDS.items():
        for n in range(RARE.get(kind, copies)):
            template = templates[n % len(templates)]
            key, value, headers = breaker(template)
            poison_id = f"{topic}/{kind}/{n}"
            marked = [*headers, (POISON_HEADER, poison_id.encode())]
            yield Poison(poison_id, topic, key, value, marked, reason)
    for n in range(copies):
        key, value, headers, _ = _wrong_topic(topic)
        poison_id = f"{topic}/event of another topic/{n}"
        marked = [*headers, (POISON_HEADER, poison_id.encode())]
        yield Poison(poison_id, topic, key, value, marked, "wrong_topic")
