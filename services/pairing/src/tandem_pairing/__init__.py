"""Tandem pairing service: matching and pairs."""
