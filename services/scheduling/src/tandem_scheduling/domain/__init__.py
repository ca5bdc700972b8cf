"""domain layer of the scheduling service."""
