"""Few-shot tab: how a method's score (its task's: accuracy, macro-F1, Pearson, entity F1) grows
with the examples per class."""
