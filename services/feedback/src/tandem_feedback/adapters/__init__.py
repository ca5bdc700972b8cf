"""adapters layer of the feedback service."""
