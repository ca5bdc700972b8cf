"""Failure kinds the consumer pipeline and the HTTP layer tell apart."""

from __future__ import annotations

import asyncio

from aiokafka.errors import KafkaConnectionError, KafkaError
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError


class TransientError(Exception):
    """Raise from a handler for an outage that will pass: the record is retried, never dropped."""


class RejectedEvent(Exception):
    """Raise from a handler when a valid record can never be applied: it goes to the DLQ."""


class NotFound(Exception):
    """An addressed resource does not exist (HTTP 404)."""


class Forbidden(Exception):
    """The verified caller may not do this (HTTP 403)."""


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409)."""


class InvalidRequest(Exception):
    """A request that passed schema validation but breaks a rule (HTTP 422), naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


_TRANSIENT_LABELS = (
    "TransientTransactionError",
    "UnknownTransactionCommitResult",
    "RetryableWriteError",
)
_WRITE_CONFLICT = 112


def is_transient(exc: BaseException) -> bool:
    """True for failures of the database or broker that a retry can outlast."""
    if isinstance(exc, TransientError | ConnectionFailure | KafkaConnectionError | TimeoutError):
        return True
    if isinstance(exc, asyncio.TimeoutError):
        return True
    if isinstance(exc, PyMongoError) and any(exc.has_error_label(x) for x in _TRANSIENT_LABELS):
        return True
    if isinstance(exc, OperationFailure) and exc.code == _WRITE_CONFLICT:
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))
