"""What the feedback rules refuse; the service layer turns each into an HTTP answer."""

from __future__ import annotations


class InvalidSubmission(Exception):
    """Breaks a rule of the content (unknown topic, missing topic, score off the scale): 422."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotNow(Exception):
    """Contradicts the current state (given already, window closed, not open yet): 409."""


class NotYours(Exception):
    """Someone else's goal or answer: 403."""
