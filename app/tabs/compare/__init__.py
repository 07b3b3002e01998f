"""Compare tab: finished runs side by side, and their accuracy on another dataset."""
