"""Aggregates record the events their transitions cause (cosmicpython's `collect_new_events`).

A transition returns the changed aggregate with the event recorded on it; the unit of work
collects the events of every aggregate its repositories stored and writes them to the outbox
in the same commit. Handlers never build events by hand, so an event cannot be forgotten or
sent for a change that was not stored. Recorded events are not fields: they are never
persisted and never serialised.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

from pydantic import BaseModel, PrivateAttr

from tandem_contracts.base import Event

E = TypeVar("E", bound=Event)


class Aggregate(BaseModel):
    """Base of domain models whose changes other services learn about through events."""

    _new_events: tuple[Event, ...] = PrivateAttr(default=())

    def recording(self, *events: Event) -> Self:
        """This aggregate with `events` added to those not yet collected (returns self)."""
        self._new_events = (*self._new_events, *events)
        return self

    def announcing(self, event_type: type[E], **fields: Any) -> Self:
        """Record an `event_type` event carrying this aggregate's fields of the same names
        (same name, same meaning), except those given in `fields`; the event's own validation
        rejects anything missing, so a renamed field fails loudly, never silently."""
        own = type(self).model_fields
        carried = {
            name: getattr(self, name)
            for name in event_type.model_fields
            if name in own and name not in fields
        }
        return self.recording(event_type(**carried, **fields))

    @property
    def pending_events(self) -> tuple[Event, ...]:
        """The events recorded and not yet collected (left in place)."""
        return self._new_events

    def collect_new_events(self) -> tuple[Event, ...]:
        """The events recorded since the last collection, oldest first; clears them."""
        events, self._new_events = self._new_events, ()
        return events
