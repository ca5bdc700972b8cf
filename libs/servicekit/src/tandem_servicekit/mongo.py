"""The AsyncMongoClient every service uses (PyMongo's native async API)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from pymongo import AsyncMongoClient

from tandem_servicekit.settings import MongoSettings

Document = dict[str, Any]
T = TypeVar("T")

IN_CHUNK = 64
"""Longest `$in` list sent in one query. The embedded server answers `$in` in time growing with
the square of the list (500 ids: ~0.3 s, 64: ~8 ms); a real MongoDB pays only a few more
round trips for the same answer."""


def in_chunks(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`values` (deduplicated, sorted when they can be) in lists of at most `size`."""
    unique = list(dict.fromkeys(values))
    with contextlib.suppress(TypeError):
        unique.sort()
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def make_client(settings: MongoSettings) -> AsyncMongoClient[Document]:
    """A client with UTC-aware datetimes, so what is read back compares with what was written."""
    return AsyncMongoClient(
        settings.uri.get_secret_value(),
        tz_aware=True,
        serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
        connect=False,
    )
