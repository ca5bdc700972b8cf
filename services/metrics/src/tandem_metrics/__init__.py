"""Tandem metrics service: program KPIs."""
