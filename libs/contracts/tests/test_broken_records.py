"""Each kind of broken record gets a precise, stable error naming what is wrong."""

from __future__ import annotations

import json

import pytest

from tandem_contracts import InvalidReason, InvalidRecord, decode, encode
from tandem_contracts.cloudevents import MAX_VALUE_BYTES
from tandem_contracts.examples import example_events

GOOD = encode(example_events()[0], source="/hr/test")


def without(name: str) -> list[tuple[str, bytes]]:
    return [(k, v) for k, v in GOOD.headers if k != name]


def replaced(name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [(k, value if k == name else v) for k, v in GOOD.headers]


def hired_value(*, drop: str | None = None, **changes: object) -> bytes:
    data = json.loads(GOOD.value)
    data.update(changes)
    data.pop(drop or "", None)
    return json.dumps(data).encode()


BROKEN = [
    ("no headers at all", [], GOOD.value, InvalidReason.MISSING_HEADER, "ce_specversion"),
    ("missing ce_id", without("ce_id"), GOOD.value, InvalidReason.MISSING_HEADER, "ce_id"),
    (
        "empty ce_id",
        replaced("ce_id", b" "),
        GOOD.value,
        InvalidReason.INVALID_HEADER,
        "ce_id is empty",
    ),
    ("missing ce_type", without("ce_type"), GOOD.value, InvalidReason.MISSING_HEADER, "ce_type"),
    (
        "missing ce_source",
        without("ce_source"),
        GOOD.value,
        InvalidReason.MISSING_HEADER,
        "ce_source",
    ),
    (
        "wrong specversion",
        replaced("ce_specversion", b"0.3"),
        GOOD.value,
        InvalidReason.UNSUPPORTED_SPECVERSION,
        "ce_specversion is not '1.0'",
    ),
    (
        "unknown ce_type",
        replaced("ce_type", b"org.tandem.hr.employee_promoted.v9"),
        GOOD.value,
        InvalidReason.UNKNOWN_TYPE,
        "ce_type names no Tandem event type; accepted: org.tandem.feedback.",
    ),
    (
        "bad ce_time",
        replaced("ce_time", b"yesterday"),
        GOOD.value,
        InvalidReason.INVALID_HEADER,
        "ce_time is not an RFC 3339 timestamp",
    ),
    (
        "ce_time without offset",
        replaced("ce_time", b"2027-01-01T09:00:00"),
        GOOD.value,
        InvalidReason.INVALID_HEADER,
        "no UTC offset",
    ),
    (
        "header not UTF-8",
        replaced("ce_source", b"\xff\xfe"),
        GOOD.value,
        InvalidReason.INVALID_HEADER,
        "ce_source is not UTF-8",
    ),
    (
        "wrong content type",
        replaced("content-type", b"application/avro"),
        GOOD.value,
        InvalidReason.UNSUPPORTED_CONTENT_TYPE,
        "content-type is not 'application/json'",
    ),
    (
        "structured mode (content type)",
        replaced("content-type", b"application/cloudevents+json; charset=utf-8"),
        GOOD.value,
        InvalidReason.UNSUPPORTED_CONTENT_TYPE,
        "structured mode is not supported: send binary mode",
    ),
    (
        "structured mode (envelope in the value)",
        [("content-type", b"application/json")],
        json.dumps(
            {"specversion": "1.0", "type": "org.tandem.hr.employee_hired.v1", "data": {}}
        ).encode(),
        InvalidReason.MISSING_HEADER,
        "structured mode is not supported: send binary mode",
    ),
    (
        "upper-case CE_ headers",
        [(k.upper() if k.startswith("ce_") else k, v) for k, v in GOOD.headers],
        GOOD.value,
        InvalidReason.MISSING_HEADER,
        "found 'CE_SPECVERSION': CloudEvents headers on Kafka are named in lower case",
    ),
    (
        "HTTP-style ce- headers",
        [(k.replace("_", "-"), v) for k, v in GOOD.headers],
        GOOD.value,
        InvalidReason.MISSING_HEADER,
        "found 'ce-specversion'",
    ),
    ("tombstone", list(GOOD.headers), None, InvalidReason.NULL_VALUE, "no value"),
    ("value not JSON", list(GOOD.headers), b"<xml/>", InvalidReason.NOT_JSON, "not UTF-8 JSON"),
    ("value not UTF-8", list(GOOD.headers), b"\xff\x00", InvalidReason.NOT_JSON, "not UTF-8 JSON"),
    ("JSON array", list(GOOD.headers), b"[1,2]", InvalidReason.NOT_AN_OBJECT, "got list"),
    ("nested 60,000 deep", list(GOOD.headers), b"[" * 60_000, InvalidReason.NOT_JSON, "deeply"),
    (
        "oversized",
        list(GOOD.headers),
        b" " * (MAX_VALUE_BYTES + 1),
        InvalidReason.OVERSIZED,
        str(MAX_VALUE_BYTES),
    ),
    (
        "missing field",
        list(GOOD.headers),
        hired_value(drop="department"),
        InvalidReason.INVALID_DATA,
        "department: Field required",
    ),
    (
        "nested invalid field",
        list(GOOD.headers),
        hired_value(languages=["de", "english"]),
        InvalidReason.INVALID_DATA,
        "languages.1:",
    ),
    (
        "wrong type",
        list(GOOD.headers),
        hired_value(job_level="senior"),
        InvalidReason.INVALID_DATA,
        "job_level:",
    ),
    (
        "extra field",
        list(GOOD.headers),
        hired_value(salary=100000),
        InvalidReason.INVALID_DATA,
        "salary: Extra inputs are not permitted",
    ),
    (
        "naive datetime",
        list(GOOD.headers),
        hired_value(effective_at="2027-01-01T09:00:00"),
        InvalidReason.INVALID_DATA,
        "effective_at:",
    ),
]


@pytest.mark.parametrize(
    ("headers", "value", "reason", "names"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_record_is_named_precisely(
    headers: list[tuple[str, bytes]], value: bytes | None, reason: InvalidReason, names: str
) -> None:
    with pytest.raises(InvalidRecord) as caught:
        decode(headers, value)
    assert caught.value.reason is reason
    assert names in str(caught.value)


PIPELINE_REASONS = {
    InvalidReason.KEY_MISMATCH,
    InvalidReason.WRONG_TOPIC,
    InvalidReason.CONFLICTING_DUPLICATE,
    InvalidReason.UNDECODABLE,
}
"""Raised by the consumer pipeline, which knows the topic and the inbox (servicekit's tests
and tests/test_poison_fuzz.py cover them), not by `decode`."""


def test_at_least_ten_distinct_kinds_are_covered() -> None:
    assert len(BROKEN) >= 10
    assert {case[3] for case in BROKEN} == set(InvalidReason) - PIPELINE_REASONS


def test_good_record_decodes() -> None:
    assert decode(GOOD.headers, GOOD.value).event == example_events()[0]


@pytest.mark.parametrize(
    ("headers", "value", "secret"),
    [
        (replaced("ce_time", b"jane.doe@example.com"), GOOD.value, "jane.doe@example.com"),
        (replaced("ce_type", b"jane.doe@example.com"), GOOD.value, "jane.doe@example.com"),
        (replaced("content-type", b"jane.doe@example.com"), GOOD.value, "jane.doe@example.com"),
        (list(GOOD.headers), hired_value(time_zone="jane.doe@example.com"), "jane.doe@example.com"),
        (list(GOOD.headers), hired_value(languages=["jane@x.de"]), "jane@x.de"),
        (list(GOOD.headers), b'{"employee_id": "jane.doe@example.com" ', "jane.doe"),
    ],
)
def test_an_error_message_never_repeats_the_value_it_rejects(
    headers: list[tuple[str, bytes]], value: bytes, secret: str
) -> None:
    """The message goes into DLQ headers and logs; a value may be personal data."""
    with pytest.raises(InvalidRecord) as caught:
        decode(headers, value)
    assert secret not in str(caught.value)


def test_an_unknown_type_lists_every_accepted_type() -> None:
    with pytest.raises(InvalidRecord) as caught:
        decode(replaced("ce_type", b"org.tandem.hr.employee_hire.v1"), GOOD.value)
    for accepted in ("org.tandem.hr.employee_hired.v1", "org.tandem.hr.employee_departed.v1"):
        assert accepted in str(caught.value)
