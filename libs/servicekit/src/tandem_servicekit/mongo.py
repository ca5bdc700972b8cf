"""The AsyncMongoClient every service uses (PyMongo's native async API)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from tandem_servicekit.settings import MongoSettings

Document = dict[str, Any]


def make_client(settings: MongoSettings) -> AsyncMongoClient[Document]:
    """A client with UTC-aware datetimes, so what is read back compares with what was written."""
    return AsyncMongoClient(
        settings.uri,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
        connect=False,
    )
