"""Training: the loop, checkpoints and adapter folders, background and recorded runs."""
