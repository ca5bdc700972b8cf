"""Tandem scheduling service: weekly sessions."""
