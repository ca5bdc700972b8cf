"""Tandem's event contracts: models, topics and the CloudEvents envelope."""

from tandem_contracts.base import Event
from tandem_contracts.cloudevents import (
    Envelope,
    EventMeta,
    InvalidReason,
    InvalidRecord,
    OutgoingRecord,
    decode,
    encode,
)
from tandem_contracts.registry import EVENT_MODELS, EVENTS_BY_TYPE, model_for

__all__ = [
    "EVENTS_BY_TYPE",
    "EVENT_MODELS",
    "Envelope",
    "Event",
    "EventMeta",
    "InvalidReason",
    "InvalidRecord",
    "OutgoingRecord",
    "decode",
    "encode",
    "model_for",
]
