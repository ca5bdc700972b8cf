"""adapters layer of the pairing service."""
