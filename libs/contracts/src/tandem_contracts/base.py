"""The base every Tandem event model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

TOLERANT = "tolerant"
"""Validation context key: `{TOLERANT: True}` makes a contract model ignore unknown fields."""


def _require_utc(value: datetime) -> datetime:
    """Naive datetimes are ambiguous across time zones, so they are refused; others become UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must carry a time zone (UTC offset)")
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:30+05:00 has no UTC equivalent
        raise ValueError("datetime out of range in UTC") from exc


UtcDatetime = Annotated[datetime, AfterValidator(_require_utc)]
"""A timezone-aware datetime, normalised to UTC."""

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$")
]
"""Ids are opaque strings: HR systems bring their own, Tandem generates UUIDs."""


class ContractModel(BaseModel):
    """Strict for writers, tolerant for readers.

    Building a model in Python or validating an integrator's payload rejects unknown fields
    (`extra="forbid"`, and `additionalProperties: false` in the JSON Schemas). A consumer
    validates with the `tolerant` context instead, so a field another service added in an
    additive change is ignored rather than dead-lettered: services need not deploy in lockstep.
    The context reaches nested models too.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _drop_unknown_when_tolerant(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context and info.context.get(TOLERANT):
            return {k: v for k, v in data.items() if k in cls.model_fields}
        return data


class Event(ContractModel):
    """An immutable, strictly validated event payload (the CloudEvents `data`).

    Subclasses declare, as class arguments, their `type` (the CloudEvents `ce_type`), the
    `topic` they travel on and the `key` field holding the aggregate id that keys the record,
    so one aggregate stays ordered.
    """

    event_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]

    def __init_subclass__(
        cls, *, type: str = "", topic: str = "", key: str = "", **kwargs: Any
    ) -> None:
        """`class PairEnded(Event, type="org.tandem...", topic=PAIRING, key="pair_id")`; an
        intermediate base may set `topic` and `key` for the event types below it."""
        super().__init_subclass__(**kwargs)
        if type:
            cls.event_type = type
        if topic:
            cls.topic = topic
        if key:
            cls.key_field = key

    def aggregate_id(self) -> str:
        """The record key and CloudEvents subject."""
        return str(getattr(self, self.key_field))
