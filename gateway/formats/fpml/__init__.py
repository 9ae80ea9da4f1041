"""FpML 5.10: read/ (documents to canonical trades and messages), write/ (statuses to documents)."""
