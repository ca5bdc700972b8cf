"""entrypoints layer of the feedback service."""
