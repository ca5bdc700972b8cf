"""Tandem scheduling service: weekly sessions of at most 60 minutes inside both people's availability."""
