"""Datasets: reading files and hub datasets, guessing columns, splits and batching."""
