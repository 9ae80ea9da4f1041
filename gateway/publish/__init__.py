"""Publication of statuses to trade sources and members."""
