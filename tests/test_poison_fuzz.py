"""A hostile integrator on `hr.employees.v1`: no record may block a partition or get lost.

The pairing service runs as its own process on the embedded stack. More than 500 malformed
records of more than 20 kinds (broken, null and non-UTF-8 headers, deep nesting, oversized
values, wrong keys, wrong topics, reused ids, personal data in rejected fields ...) are
interleaved with 400 valid hires across all six partitions. Then: every malformed record is in
the DLQ exactly once with the expected reason, every valid hire is in the projection, unknown
types are dead-lettered, nothing is stalled, readiness is 200, and the log stayed small and JSON.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tandem_contracts import encode
from tandem_contracts.events import EmployeeHired, PairCreated
from tandem_contracts.examples import AT, example_events
from tandem_contracts.topics import HR_EMPLOYEES
from tandem_devkit.embedded import StackInfo
from tandem_devkit.services import ServiceSet, start_services, wait_ready
from tandem_servicekit.mongo import make_client
from tandem_servicekit.settings import MongoSettings
from tandem_servicekit.testing import read_topic, wait_until

VALID = 400
PER_KIND = 22
SECRET = "jane.doe@example.com"
Headers = list[tuple[str, bytes | None]]


@dataclass(frozen=True)
class Sent:
    fuzz_id: str
    key: bytes | None
    value: bytes | None
    headers: Headers


def hire(n: int, **changes: object) -> EmployeeHired:
    fields: dict[str, object] = {
        "employee_id": f"fz-{n:05d}",
        "department": "Sales",
        "job_level": n % 12,
        "languages": ("en",),
        "time_zone": "Europe/Berlin",
        "hired_on": AT.date(),
        "effective_at": AT,
    }
    fields.update(changes)
    return EmployeeHired.model_validate(fields)


def good(n: int) -> tuple[bytes, bytes, Headers]:
    record = encode(hire(n), source="/hr/fuzz", event_id=f"evt-{n}")
    return record.key, record.value, list(record.headers)


def with_header(headers: Headers, name: str, value: bytes | None) -> Headers:
    return [(k, value if k == name else v) for k, v in headers]


def without(headers: Headers, name: str) -> Headers:
    return [(k, v) for k, v in headers if k != name]


def valid_json(n: int, **changes: object) -> bytes:
    data = json.loads(good(n)[1])
    data.update(changes)
    return json.dumps(data).encode()


def pair_created(n: int) -> tuple[bytes, bytes, Headers]:
    event = next(e for e in example_events() if isinstance(e, PairCreated))
    record = encode(event.model_copy(update={"pair_id": f"p-{n}"}), source="/tandem/pairing")
    return record.key, record.value, list(record.headers)


Mutation = Callable[[int], tuple[bytes | None, bytes | None, Headers]]

# kind → (expected DLQ reason, how to break a valid hire n)
KINDS: dict[str, tuple[str, Mutation]] = {
    "no headers": ("missing_header", lambda n: (good(n)[0], good(n)[1], [])),
    "no ce_id": (
        "missing_header",
        lambda n: (good(n)[0], good(n)[1], without(good(n)[2], "ce_id")),
    ),
    "empty ce_id": (
        "invalid_header",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "ce_id", b"  ")),
    ),
    "null header value": (
        "invalid_header",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "ce_source", None)),
    ),
    "non-UTF-8 header": (
        "invalid_header",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "ce_id", b"\xff\xfe")),
    ),
    "old specversion": (
        "unsupported_specversion",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "ce_specversion", b"0.3")),
    ),
    "avro content type": (
        "unsupported_content_type",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "content-type", b"avro/x")),
    ),
    "ce_time not a time": (
        "invalid_header",
        lambda n: (good(n)[0], good(n)[1], with_header(good(n)[2], "ce_time", SECRET.encode())),
    ),
    "null value": ("null_value", lambda n: (good(n)[0], None, good(n)[2])),
    "not JSON": ("not_json", lambda n: (good(n)[0], b"<employee/>", good(n)[2])),
    "not UTF-8": ("not_json", lambda n: (good(n)[0], b"\xff\xfe\x00{", good(n)[2])),
    "nested 60,000 deep": ("not_json", lambda n: (good(n)[0], b"[" * 60_000, good(n)[2])),
    "JSON array": ("not_an_object", lambda n: (good(n)[0], b"[1, 2, 3]", good(n)[2])),
    "oversized": (
        "oversized",
        lambda n: (good(n)[0], b'{"x": "' + b"a" * 700_000 + b'"}', good(n)[2]),
    ),
    "missing field": (
        "invalid_data",
        lambda n: (good(n)[0], valid_json(n, department=None), good(n)[2]),
    ),
    "wrong type": (
        "invalid_data",
        lambda n: (good(n)[0], valid_json(n, job_level="boss"), good(n)[2]),
    ),
    "e-mail as time zone": (
        "invalid_data",
        lambda n: (good(n)[0], valid_json(n, time_zone=SECRET), good(n)[2]),
    ),
    "naive datetime": (
        "invalid_data",
        lambda n: (good(n)[0], valid_json(n, effective_at="2027-01-11T09:00:00"), good(n)[2]),
    ),
    "own manager": (
        "invalid_data",
        lambda n: (good(n)[0], valid_json(n, manager_id=f"fz-{n:05d}"), good(n)[2]),
    ),
    "key of someone else": ("key_mismatch", lambda n: (b"fz-someone", good(n)[1], good(n)[2])),
    "no key": ("key_mismatch", lambda n: (None, good(n)[1], good(n)[2])),
    "pairing event on the HR topic": ("wrong_topic", pair_created),
    "huge header and bad value": (
        "not_json",
        lambda n: (good(n)[0], b"{", [*good(n)[2], ("x-padding", b"p" * 200_000)]),
    ),
}


def records() -> Iterator[tuple[Sent, str | None]]:
    """(record, expected DLQ reason or None), valid and malformed interleaved."""
    n = 0
    for round_ in range(PER_KIND):
        for kind, (reason, mutate) in KINDS.items():
            fuzz_id = f"{kind}#{round_}"
            key, value, headers = mutate(10_000 + n)
            yield Sent(fuzz_id, key, value, [*headers, ("x-fuzz-id", fuzz_id.encode())]), reason
            n += 1
            if n % 3 == 0 and n // 3 <= VALID:
                key, value, headers = good(n // 3)
                yield Sent(f"valid#{n // 3}", key, value, headers), None
    # A reused ce_id with another value: a conflict, not a duplicate.
    for m in range(1, 21):
        key, value, headers = good(m)
        other = encode(hire(m, department="Changed"), source="/hr/fuzz").value
        yield (
            Sent(f"reused#{m}", key, other, [*headers, ("x-fuzz-id", f"reused#{m}".encode())]),
            ("conflicting_duplicate"),
        )
    # Types no contract defines: dead-lettered, naming the types of the topic.
    for m in range(30):
        key, value, headers = good(20_000 + m)
        unknown = with_header(headers, "ce_type", b"org.tandem.hr.employee_promoted.v9")
        unknown.append(("x-fuzz-id", f"unknown#{m}".encode()))
        yield Sent(f"unknown#{m}", key, b"{}", unknown), "unknown_type"


@pytest.fixture(scope="module")
def pairing(
    embedded_stack: StackInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceSet]:
    log_dir = tmp_path_factory.mktemp("fuzz-logs")
    token = uuid.uuid4().hex[:8]
    running = start_services(
        embedded_stack,
        log_dir,
        names=("pairing",),
        topic_prefix=f"fz{token}.",
        database_suffix=f"_fz{token}",
        extra_env={"TANDEM_PAIRING_RETRY__INITIAL_DELAY_S": "0.05"},
    )
    try:
        wait_ready(running, timeout_s=90)
        yield running
    finally:
        running.stop()


async def test_poison_never_blocks_a_partition_and_nothing_is_lost(
    pairing: ServiceSet, embedded_stack: StackInfo
) -> None:
    service = pairing.services["pairing"]
    topic = pairing.topic_prefix + HR_EMPLOYEES
    plan = list(records())
    expected = {sent.fuzz_id: reason for sent, reason in plan if reason is not None}
    valid = {sent.fuzz_id for sent, reason in plan if sent.fuzz_id.startswith("valid#")}
    assert len(expected) >= 500
    assert len(set(KINDS)) >= 20
    producer = AIOKafkaProducer(
        bootstrap_servers=embedded_stack.kafka_bootstrap, max_request_size=4 * 1024 * 1024
    )
    await producer.start()
    try:
        partitions: Counter[int] = Counter()
        for sent, _ in plan:
            meta = await producer.send_and_wait(
                topic,
                key=sent.key,
                value=sent.value,
                headers=sent.headers,
            )
            partitions[meta.partition] += 1
    finally:
        await producer.stop()
    assert len(partitions) == 6, f"records must reach every partition: {partitions}"

    dead = await read_topic(
        embedded_stack.kafka_bootstrap, topic + ".dlq", at_least=len(expected), timeout_s=240
    )
    seen: Counter[str] = Counter()
    for record in dead:
        fuzz_id = record.headers.get("x-fuzz-id", b"").decode() or (record.key or b"").decode()
        seen[fuzz_id] += 1
        assert fuzz_id in expected, f"dead-lettered but valid: {fuzz_id}"
        assert record.headers["tandem_dlq_reason"].decode() == expected[fuzz_id], fuzz_id
        assert SECRET.encode() not in record.headers["tandem_dlq_error_message"], fuzz_id
    missing = sorted(set(expected) - set(seen))
    assert not missing, f"{len(missing)} malformed records never reached the DLQ: {missing[:10]}"
    assert all(count == 1 for count in seen.values()), seen.most_common(3)

    client = make_client(MongoSettings(uri=embedded_stack.mongo_uri))
    db = client[f"tandem_pairing_fz{pairing.topic_prefix[2:-1]}"]

    async def all_applied() -> bool:
        return bool(await db["employees"].count_documents({}) >= len(valid))

    await wait_until(all_applied, 60)
    ids = {f"fz-{int(v.split('#')[1]):05d}" for v in valid}
    stored = {d["_id"] async for d in db["employees"].find({}, {"_id": 1})}
    await client.close()
    assert stored == ids, "every valid hire applied, and nothing else"

    async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 200, ready.text
        metrics = (await http.get("/metrics")).text
    assert f'tandem_consumer_stalled{{topic="{topic}"}} 0.0' in metrics
    assert f'tandem_consumer_records_total{{outcome="ignored",topic="{topic}"}}' not in metrics

    log = await asyncio.to_thread(Path(service.log_path).read_text)
    lines = log.splitlines()
    for line in lines:
        json.loads(line)  # every line, library and traceback alike, is one JSON object
    assert len(log) < 2_000_000, f"{len(log)} bytes of log for {len(plan)} records"
    assert SECRET not in log
