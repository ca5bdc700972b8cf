"""adapters layer of the scheduling service."""
