"""Shared runtime for Tandem services."""
