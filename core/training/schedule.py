"""A run's plan in steps: its length, time budget, learning-rate factor and pace.

The learning-rate factor is a pure function of the absolute step, so an optimizer rebuilt in
the middle of a run (prompt growth) or on resume continues the schedule where it was.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from core.config import TrainConfig

DEFAULT_TIME_BUDGET_MINUTES = 6.0
"""Runs that set neither epochs nor max steps stop after this long (or their default epochs)."""


def time_budget_seconds(config: TrainConfig) -> float | None:
    """The run's wall-clock budget, or None when its steps or epochs alone decide its length."""
    if config.time_budget_minutes:
        return config.time_budget_minutes * 60
    if config.epochs is None and config.max_steps is None:
        return DEFAULT_TIME_BUDGET_MINUTES * 60
    return None


def steps_per_epoch(train_rows: int, batch_size: int) -> int:
    return math.ceil(train_rows / batch_size)


def planned_steps(
    train_rows: int, batch_size: int, epochs: float, max_steps: int | None = None
) -> int:
    """Steps of the whole run: ``max_steps`` when set, else ``epochs`` over the training rows."""
    return max_steps or max(1, math.ceil(steps_per_epoch(train_rows, batch_size) * epochs))


def lr_factor(step: int, total_steps: int, warmup_ratio: float) -> float:
    """Linear warm-up, then linear decay to zero at the (possibly re-planned) last step."""
    total = max(1, total_steps)
    warmup = int(total * warmup_ratio)
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def eval_interval(eval_every: int | None, total_steps: int) -> int:
    """Steps between evaluations: the setting, else a tenth of the run."""
    return eval_every or max(1, total_steps // 10)


WARMUP_STEPS = 20
"""Steps at the start of a loop whose speed is not the run's (caches filling, CUDA kernels
being chosen and compiled): they are left out of the measured speed."""


@dataclass
class Pace:
    """Wall-clock bookkeeping of a run: training speed, evaluation cost and the budget left.

    Evaluation time is kept apart, so the seconds per step measure training alone. The speed
    that fits a plan to the budget is measured from the end of the warm-up on
    (:meth:`mark_warm`), and the fitted plan follows it both ways: shorter when the run slows
    down, and back up (never past the configured steps) when an early estimate was too
    pessimistic.
    """

    run_started: float = field(default_factory=time.perf_counter)
    loop_started: float = 0.0
    first_step: int = 0  # the step the loop (re)started at; a resumed run measures from there
    eval_seconds: float = 0.0
    eval_rows: int = 0
    warm_from: int = 0  # the step the warm-up ends at
    replan_from: int = 0  # the plan is fitted once as many steps again have been measured
    planned_total: int = 0  # the configured plan, which a fitted plan never exceeds
    warm_at: float | None = None  # when the warm-up ended, and the evaluation time by then
    warm_step: int = 0
    warm_eval_seconds: float = 0.0

    def start_loop(self, step: int, total_steps: int) -> None:
        self.loop_started = time.perf_counter()
        self.first_step, self.eval_seconds, self.eval_rows = step, 0.0, 0
        warmup = min(WARMUP_STEPS, max(1, (total_steps - step) // 10))
        self.warm_from, self.replan_from = step + warmup, step + 2 * warmup
        self.planned_total = max(self.planned_total, total_steps)
        self.warm_at = None

    def note(self, now: float, step: int) -> None:
        """The loop is at ``step``: the first time it is past the warm-up, the fitted plan's
        speed is measured from here on."""
        if self.warm_at is None and step >= self.warm_from:
            self.warm_at, self.warm_step, self.warm_eval_seconds = now, step, self.eval_seconds

    def seconds_per_step(self, now: float, step: int) -> float:
        """Training seconds per step since the loop started (the progress bar's pace)."""
        trained = step - self.first_step
        return (now - self.loop_started - self.eval_seconds) / max(1, trained)

    def warm_seconds_per_step(self, now: float, step: int) -> float:
        """Training seconds per step since the warm-up ended (since the loop started, while
        too few steps have passed since then to measure)."""
        if self.warm_at is None or step - self.warm_step < 1:
            return self.seconds_per_step(now, step)
        evaluating = self.eval_seconds - self.warm_eval_seconds
        return (now - self.warm_at - evaluating) / (step - self.warm_step)

    def eval_row_cost(self, step: int, batch_size: int) -> float:
        """Seconds per evaluated row: measured once an evaluation ran, else guessed from the
        training speed (a forward pass is about a third of a training step)."""
        if self.eval_rows:
            return self.eval_seconds / self.eval_rows
        return self.warm_seconds_per_step(time.perf_counter(), step) / batch_size / 3

    def fitted_total(self, now: float, step: int, budget: float, eval_rows: int, batch: int) -> int:
        """The plan's steps at the measured speed: as many as the remaining time allows once the
        ``eval_rows`` still to evaluate are paid for, at most the configured plan, at least
        ``step``."""
        per_step = self.warm_seconds_per_step(now, step)
        left = budget - (now - self.run_started) - eval_rows * self.eval_row_cost(step, batch)
        return max(step, min(self.planned_total, step + int(left / per_step)))
