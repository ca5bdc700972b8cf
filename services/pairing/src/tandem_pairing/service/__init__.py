"""service layer of the pairing service."""
