"""domain layer of the pairing service."""
