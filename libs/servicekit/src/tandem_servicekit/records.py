"""A consumed Kafka record as Tandem's pipeline sees it: bytes, untouched."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class IncomingRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes | None]]

    @property
    def digest(self) -> str:
        """The value's SHA-256: tells a redelivery from a different event reusing its id."""
        return hashlib.sha256(self.value or b"").hexdigest()
