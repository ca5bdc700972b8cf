"""service layer of the feedback service."""
