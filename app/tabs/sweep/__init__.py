"""Sweep tab: a grid of prompt length x learning rate, run one after another."""
