"""service layer of the scheduling service."""
