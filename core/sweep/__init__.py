"""Sweeps: a grid of prompt length x learning rate for a prompt method, one run per point.

The grid and its checks are in :mod:`core.sweep.grid`, running and recording in
:mod:`core.sweep.run`; ``python -m core.sweep`` is the command line (:mod:`core.sweep.cli`).
"""

from core.sweep.grid import (
    DEFAULT_LENGTHS,
    LENGTH,
    MAX_RUNS,
    SweepConfig,
    check_sweep,
    default_lrs,
    length_range,
    parse_lengths,
    parse_lrs,
    prompt_methods,
    read_values,
    sweep_problems,
)
from core.sweep.run import (
    KIND,
    SweepHandle,
    active_sweep,
    best_result,
    point_name,
    run_result,
    run_sweep,
    start_sweep,
    sweep_results,
)

__all__ = [
    "DEFAULT_LENGTHS", "KIND", "LENGTH", "MAX_RUNS", "SweepConfig", "SweepHandle",
    "active_sweep", "best_result", "check_sweep", "default_lrs", "length_range", "parse_lengths",
    "parse_lrs", "point_name", "prompt_methods", "read_values", "run_result", "run_sweep",
    "start_sweep", "sweep_problems", "sweep_results",
]  # fmt: skip
