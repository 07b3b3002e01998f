"""Monitor tab: live curves, the run table and comparison, the queue with Resume, and
"Where it goes wrong"."""
