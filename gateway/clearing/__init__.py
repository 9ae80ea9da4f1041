"""Clearing workflow: the pipeline, novation, status machine, lifecycle, end of day."""
