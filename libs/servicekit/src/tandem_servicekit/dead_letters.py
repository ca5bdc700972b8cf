"""Copying a poison record to `<topic>.dlq`, whatever it holds.

The copy keeps the key, the value and the original headers, plus headers naming the failure.
Any record the consumer could fetch must be dead-letterable, so the copy is bounded: a value
over `MAX_DLQ_VALUE_BYTES` is cut to that size, and each original header value to
`MAX_DLQ_HEADER_BYTES` (with at most `MAX_DLQ_HEADERS` of them); `tandem_dlq_value_sha256` and
`tandem_dlq_value_bytes` always describe the complete original value, and
`tandem_dlq_truncated` says what was cut. A null value stays null.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from tandem_contracts.topics import dead_letter_topic
from tandem_servicekit.publisher import ProducerRecord, Publisher
from tandem_servicekit.records import IncomingRecord

MAX_DLQ_VALUE_BYTES = 256 * 1024
MAX_DLQ_HEADER_BYTES = 4 * 1024
MAX_DLQ_HEADERS = 64
MAX_MESSAGE_CHARS = 1000


class DeadLetterRouter:
    def __init__(self, publisher: Publisher, group: str) -> None:
        self._publisher = publisher
        self._group = group

    async def route(self, record: IncomingRecord, reason: str, error: BaseException) -> None:
        await self._publisher.send_many([self.copy_of(record, reason, error)])

    def copy_of(self, record: IncomingRecord, reason: str, error: BaseException) -> ProducerRecord:
        truncated: list[str] = []
        value = record.value
        if value is not None and len(value) > MAX_DLQ_VALUE_BYTES:
            value = value[:MAX_DLQ_VALUE_BYTES]
            truncated.append("value")
        originals = list(record.headers)
        if len(originals) > MAX_DLQ_HEADERS:
            originals = originals[:MAX_DLQ_HEADERS]
            truncated.append("header_count")
        headers: list[tuple[str, bytes]] = []
        for name, raw in originals:
            text = (raw or b"")[:MAX_DLQ_HEADER_BYTES]
            if raw is not None and len(raw) > MAX_DLQ_HEADER_BYTES:
                truncated.append(f"header:{name[:100]}")
            headers.append((name[:256], text))
        digest = hashlib.sha256(record.value or b"").hexdigest()
        headers += [
            ("tandem_dlq_reason", reason.encode()),
            ("tandem_dlq_error_class", type(error).__name__.encode()),
            ("tandem_dlq_error_message", str(error)[:MAX_MESSAGE_CHARS].encode()),
            ("tandem_dlq_original_topic", record.topic.encode()),
            ("tandem_dlq_original_partition", str(record.partition).encode()),
            ("tandem_dlq_original_offset", str(record.offset).encode()),
            ("tandem_dlq_consumer_group", self._group.encode()),
            ("tandem_dlq_failed_at", datetime.now(UTC).isoformat().encode()),
            ("tandem_dlq_value_sha256", digest.encode()),
            ("tandem_dlq_value_bytes", str(len(record.value or b"")).encode()),
        ]
        if truncated:
            headers.append(("tandem_dlq_truncated", ",".join(truncated)[:1000].encode()))
        return ProducerRecord(dead_letter_topic(record.topic), record.key, value, headers)
