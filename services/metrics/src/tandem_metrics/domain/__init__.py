"""domain layer of the metrics service."""
