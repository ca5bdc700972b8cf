"""CloudEvents 1.0 in Kafka binary mode: the value is the event's JSON, attributes are headers.

`encode` builds an outgoing record; `decode` turns an incoming record back into metadata and a
validated event, or raises `InvalidRecord` whose `reason` is a stable code and whose message
names exactly what is wrong, because that message ends up in a dead-letter header that a
person reads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import ValidationError

from tandem_contracts.base import TOLERANT, Event
from tandem_contracts.registry import EVENT_MODELS, model_for

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
MAX_VALUE_BYTES = 512 * 1024
"""Events are small; anything larger is a producer bug, not something to load into memory."""

H_SPECVERSION = "ce_specversion"
H_ID = "ce_id"
H_SOURCE = "ce_source"
H_TYPE = "ce_type"
H_TIME = "ce_time"
H_SUBJECT = "ce_subject"
H_CONTENT_TYPE = "content-type"

Headers = Sequence[tuple[str, bytes]]


class InvalidReason(StrEnum):
    MISSING_HEADER = "missing_header"
    INVALID_HEADER = "invalid_header"
    UNSUPPORTED_SPECVERSION = "unsupported_specversion"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    UNKNOWN_TYPE = "unknown_type"
    OVERSIZED = "oversized"
    NULL_VALUE = "null_value"
    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_DATA = "invalid_data"
    KEY_MISMATCH = "key_mismatch"
    WRONG_TOPIC = "wrong_topic"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    UNDECODABLE = "undecodable"


class InvalidRecord(ValueError):
    """A record that can never be processed, whatever the retries: it belongs in the DLQ."""

    def __init__(self, reason: InvalidReason, message: str) -> None:
        super().__init__(f"{reason.value}: {message}")
        self.reason = reason
        self.detail = message


@dataclass(frozen=True)
class EventMeta:
    """CloudEvents context attributes of one record."""

    id: str
    source: str
    type: str
    time: datetime
    subject: str | None
    specversion: str = SPEC_VERSION


@dataclass(frozen=True)
class Envelope:
    """A decoded record: its context attributes and the validated event."""

    meta: EventMeta
    event: Event


@dataclass(frozen=True)
class OutgoingRecord:
    """Everything a producer needs to send an event: topic, key, value and headers."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    meta: EventMeta


def new_event_id() -> str:
    return str(uuid.uuid4())


def encode(
    event: Event,
    *,
    source: str,
    event_id: str | None = None,
    time: datetime | None = None,
) -> OutgoingRecord:
    """Build the binary-mode record for `event`, keyed and subjected by its aggregate id."""
    meta = EventMeta(
        id=event_id or new_event_id(),
        source=source,
        type=event.event_type,
        time=(time or datetime.now(UTC)).astimezone(UTC),
        subject=event.aggregate_id(),
    )
    headers = (
        (H_SPECVERSION, SPEC_VERSION.encode()),
        (H_ID, meta.id.encode()),
        (H_SOURCE, meta.source.encode()),
        (H_TYPE, meta.type.encode()),
        (H_TIME, meta.time.isoformat().replace("+00:00", "Z").encode()),
        (H_SUBJECT, event.aggregate_id().encode()),
        (H_CONTENT_TYPE, CONTENT_TYPE.encode()),
    )
    return OutgoingRecord(
        topic=event.topic,
        key=event.aggregate_id().encode(),
        value=event.model_dump_json().encode(),
        headers=headers,
        meta=meta,
    )


STRUCTURED_MODE = (
    "structured mode is not supported: send binary mode (the CloudEvents attributes as ce_* "
    "headers, the event's JSON alone as the value)"
)


def decode_meta(
    headers: Iterable[tuple[str, bytes | None]], value: bytes | None = None
) -> EventMeta:
    """Read and check the CloudEvents attributes; raise `InvalidRecord` naming the bad header.

    `value`, when given, only sharpens the message for a structured-mode record."""
    headers = list(headers)
    found = _header_map(headers)
    content_type = found.get(H_CONTENT_TYPE)
    if content_type is not None and content_type.lower().startswith("application/cloudevents"):
        raise InvalidRecord(InvalidReason.UNSUPPORTED_CONTENT_TYPE, STRUCTURED_MODE)
    if H_SPECVERSION not in found and _looks_structured(value):
        raise InvalidRecord(InvalidReason.MISSING_HEADER, STRUCTURED_MODE)
    found = _with_misnamed(found, headers)
    specversion = _required(found, H_SPECVERSION)
    if specversion != SPEC_VERSION:
        raise InvalidRecord(
            InvalidReason.UNSUPPORTED_SPECVERSION,
            f"{H_SPECVERSION} is not {SPEC_VERSION!r}, the only version supported",
        )
    if content_type is not None and content_type.split(";")[0].strip().lower() != CONTENT_TYPE:
        raise InvalidRecord(
            InvalidReason.UNSUPPORTED_CONTENT_TYPE,
            f"{H_CONTENT_TYPE} is not {CONTENT_TYPE!r}",
        )
    return EventMeta(
        id=_required(found, H_ID),
        source=_required(found, H_SOURCE),
        type=_required(found, H_TYPE),
        time=_parse_time(_required(found, H_TIME)),
        subject=found.get(H_SUBJECT) or None,
    )


def decode(
    headers: Iterable[tuple[str, bytes | None]], value: bytes | None, *, tolerant: bool = False
) -> Envelope:
    """Parse one incoming record into its metadata and validated event.

    `tolerant=True` is the reader's mode: unknown fields (an additive change by the producer)
    are ignored instead of rejected.
    """
    meta = decode_meta(headers, value)
    model = model_for(meta.type)
    if model is None:
        raise InvalidRecord(InvalidReason.UNKNOWN_TYPE, unknown_type_message())
    return Envelope(meta=meta, event=decode_data(model, value, tolerant=tolerant))


def decode_data(model: type[Event], value: bytes | None, *, tolerant: bool = False) -> Event:
    """Validate a record's value as `model`; every failure is an `InvalidRecord`."""
    if value is None:
        raise InvalidRecord(InvalidReason.NULL_VALUE, "record has no value (a tombstone)")
    if len(value) > MAX_VALUE_BYTES:
        raise InvalidRecord(
            InvalidReason.OVERSIZED, f"value is {len(value)} bytes; the limit is {MAX_VALUE_BYTES}"
        )
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (at byte {exc.pos})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidRecord(InvalidReason.NOT_JSON, f"value is not UTF-8 JSON{where}") from exc
    except RecursionError as exc:
        raise InvalidRecord(InvalidReason.NOT_JSON, "value is nested too deeply") from exc
    if not isinstance(data, dict):
        raise InvalidRecord(
            InvalidReason.NOT_AN_OBJECT, f"value must be a JSON object, got {type(data).__name__}"
        )
    try:
        return model.model_validate(data, context={TOLERANT: True} if tolerant else None)
    except ValidationError as exc:
        raise InvalidRecord(InvalidReason.INVALID_DATA, describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """`field.path: message` for every error, so the exact field is named. Never the value:
    this text ends up in DLQ headers and logs, and a value may be personal data."""
    parts = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(p) for p in error["loc"]) or "<root>"
        parts.append(f"{path}: {error['msg']}")
    return "; ".join(parts)


def header_value(headers: Iterable[tuple[str, bytes | None]], name: str) -> str | None:
    """One header as text, for logging and routing before full validation."""
    for key, raw in headers:
        if key == name and raw is not None:
            return raw.decode("utf-8", errors="replace")
    return None


def _header_map(headers: Iterable[tuple[str, bytes | None]]) -> Mapping[str, str]:
    found: dict[str, str] = {}
    for key, raw in headers:
        if not (key.startswith("ce_") or key == H_CONTENT_TYPE):
            continue
        if raw is None:
            raise InvalidRecord(InvalidReason.INVALID_HEADER, f"header {key} has no value")
        try:
            found[key] = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRecord(InvalidReason.INVALID_HEADER, f"header {key} is not UTF-8") from exc
    return found


def unknown_type_message(accepted: Iterable[str] | None = None) -> str:
    """Names the accepted types, so a producer can see its typo (never the rejected value
    itself: this text goes to DLQ headers and logs)."""
    names = sorted(accepted) if accepted is not None else [m.event_type for m in EVENT_MODELS]
    return f"{H_TYPE} names no Tandem event type; accepted: {', '.join(names)}"


_MISNAMED = "__misnamed__:"


def _with_misnamed(
    found: Mapping[str, str], headers: Sequence[tuple[str, bytes | None]]
) -> dict[str, str]:
    """Remember headers that are CloudEvents attributes under the wrong name (`CE_ID`,
    `ce-id`: the HTTP binding's spelling), so the missing-header message can point at them."""
    marked = dict(found)
    for key, _ in headers:
        canonical = key.lower().replace("-", "_")
        if key != canonical and canonical.startswith("ce_") and canonical not in found:
            marked[_MISNAMED + canonical] = key
    return marked


def _looks_structured(value: bytes | None) -> bool:
    if not value or len(value) > MAX_VALUE_BYTES:
        return False
    try:
        data = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    return isinstance(data, dict) and "specversion" in data and "type" in data


def _required(found: Mapping[str, str], name: str) -> str:
    value = found.get(name)
    if value is None:
        misnamed = found.get(_MISNAMED + name)
        if misnamed is not None:
            raise InvalidRecord(
                InvalidReason.MISSING_HEADER,
                f"required header {name} is missing; found {misnamed[:100]!r}: CloudEvents "
                "headers on Kafka are named in lower case with an underscore (ce_id, ce_type)",
            )
        raise InvalidRecord(InvalidReason.MISSING_HEADER, f"required header {name} is missing")
    if not value.strip():
        raise InvalidRecord(InvalidReason.INVALID_HEADER, f"header {name} is empty")
    return value


def _parse_time(raw: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRecord(
            InvalidReason.INVALID_HEADER, f"{H_TIME} is not an RFC 3339 timestamp"
        ) from exc
    if parsed.tzinfo is None:
        raise InvalidRecord(InvalidReason.INVALID_HEADER, f"{H_TIME} has no UTC offset")
    return parsed.astimezone(UTC)
