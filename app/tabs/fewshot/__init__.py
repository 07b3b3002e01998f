"""Few-shot tab: how accuracy grows with the examples per class, per method."""
