"""entrypoints layer of the pairing service."""
