"""Domain errors: what a rule refuses, in words the caller can act on."""


class SessionStateError(Exception):
    """A change the session's current state does not allow (HTTP 409)."""


class SlotConflict(Exception):
    """A time that is outside someone's availability or collides with their sessions (409)."""
