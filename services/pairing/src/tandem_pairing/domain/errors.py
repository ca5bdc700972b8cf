"""The one kind of error every aggregate raises for a transition its state does not allow."""

from __future__ import annotations


class StateError(ValueError):
    """The aggregate's current state forbids this transition (the API answers 409)."""
