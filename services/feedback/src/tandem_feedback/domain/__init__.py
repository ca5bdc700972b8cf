"""domain layer of the feedback service."""
