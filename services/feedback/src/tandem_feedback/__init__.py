"""Tandem feedback service: feedback after sessions, competence assessments and surveys."""
