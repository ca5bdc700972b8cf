"""Tandem pairing service: employee projection, programs, enrollment, matching and the pair lifecycle."""
