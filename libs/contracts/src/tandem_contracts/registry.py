"""Which model a `ce_type` names, and which models travel on a topic."""

from __future__ import annotations

from tandem_contracts import events
from tandem_contracts.base import Event

EVENT_MODELS: tuple[type[Event], ...] = tuple(
    sorted(
        (
            model
            for model in vars(events).values()
            if isinstance(model, type) and issubclass(model, Event) and "event_type" in vars(model)
        ),
        key=lambda model: model.event_type,
    )
)
"""Every concrete event model exported by `tandem_contracts.events`, ordered by `ce_type`."""

EVENTS_BY_TYPE: dict[str, type[Event]] = {m.event_type: m for m in EVENT_MODELS}
if len(EVENTS_BY_TYPE) != len(EVENT_MODELS):  # pragma: no cover - guards the table above
    raise RuntimeError("two event models share a ce_type")


def model_for(event_type: str) -> type[Event] | None:
    """The model registered for `event_type`, or None when no Tandem contract defines it."""
    return EVENTS_BY_TYPE.get(event_type)


def events_on(topic: str) -> tuple[type[Event], ...]:
    """The event models that travel on `topic` (a contract topic name)."""
    return tuple(m for m in EVENT_MODELS if m.topic == topic)
