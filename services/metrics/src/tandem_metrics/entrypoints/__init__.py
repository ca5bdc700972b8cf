"""entrypoints layer of the metrics service."""
