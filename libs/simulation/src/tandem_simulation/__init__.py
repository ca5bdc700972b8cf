"""Synthetic data for Tandem: companies with HR records and enrollment requests."""

from tandem_simulation.company import REFERENCE, TOPIC_NAMES, SyntheticPerson, company

__all__ = ["REFERENCE", "TOPIC_NAMES", "SyntheticPerson", "company"]
