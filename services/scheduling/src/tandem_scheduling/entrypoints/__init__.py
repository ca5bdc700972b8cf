"""entrypoints layer of the scheduling service."""
