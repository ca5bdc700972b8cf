"""adapters layer of the metrics service."""
