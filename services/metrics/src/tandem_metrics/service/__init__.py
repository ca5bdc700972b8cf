"""service layer of the metrics service."""
