"""The engine's trainer with probes: which phase the loop is in (for counting host syncs), and
an inf gradient injected at one step (for fp16's skipped steps).

:class:`ProbeTrainer` changes nothing in how a run trains; it wraps the loop's own step
(``_step``) and fills the hook the loop calls between backward and the optimizer step
(``_after_backward``, which multi-task training also fills).
"""

from __future__ import annotations

import contextlib
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from core.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ("core", "storage", "app")
"""The project's layers, whose lines a sync is traced back to."""
SYNC_WORDS = "synchroniz"  # CUDA's sync debug mode: "called a synchronizing CUDA operation"


class SyncRecorder:
    """The host synchronisations CUDA's sync debug mode reports while a loop runs: each with the
    loop's phase and step, and where it came from (the project's innermost frame, and the line
    that called into torch)."""

    def __init__(self) -> None:
        self.syncs: list[dict[str, Any]] = []
        self.other_warnings = 0

    @contextlib.contextmanager
    def watching(self, trainer: ProbeTrainer, mode: str | None = "warn") -> Iterator[None]:
        """Record while the block runs; ``mode`` is the sync debug mode (None leaves it alone:
        off a GPU there is none, and warnings can be recorded all the same)."""

        def show(message: Any, category: Any, filename: str, lineno: int, *_: Any) -> None:
            if SYNC_WORDS not in str(message):
                self.other_warnings += 1
                return
            step = trainer.state.step + (1 if trainer.phase == "step" else 0)
            self.syncs.append({"phase": trainer.phase, "step": step,
                               "where": where(filename, lineno)})  # fmt: skip

        with warnings.catch_warnings():
            warnings.simplefilter("always")  # every sync, not once per line
            warnings.showwarning = show
            previous = torch.cuda.get_sync_debug_mode() if mode else None
            if mode:
                torch.cuda.set_sync_debug_mode(mode)
                self._control(trainer)
            try:
                yield
            finally:
                if mode:
                    torch.cuda.set_sync_debug_mode(previous or 0)

    @staticmethod
    def _control(trainer: ProbeTrainer) -> None:
        """One sync made on purpose: the counts mean something only if this one is seen."""
        phase, trainer.phase = trainer.phase, "control"
        try:
            torch.ones(1, device="cuda").item()
        finally:
            trainer.phase = phase


def _short(filename: str, lineno: int) -> str:
    path = Path(filename)
    with contextlib.suppress(ValueError):
        return f"{path.resolve().relative_to(ROOT).as_posix()}:{lineno}"
    text = path.as_posix()
    return f"{text.split('site-packages/')[-1]}:{lineno}"


def where(filename: str, lineno: int) -> str:
    """Where a warning came from: the engine's innermost frame of the current stack (its line
    that led there) and the line that called into torch."""
    caller = _short(filename, lineno)
    own = [frame for frame in traceback.extract_stack() if _in_engine(frame.filename)]
    if not own:
        return caller
    frame = own[-1]
    engine = f"{_short(frame.filename, frame.lineno or 0)} ({frame.name})"
    return engine if engine.startswith(caller + " ") else f"{engine} via {caller}"


def _in_engine(filename: str) -> bool:
    path = Path(filename).resolve()
    return any(ROOT / layer in path.parents for layer in ENGINE)


class ProbeTrainer(Trainer):
    """A single-task run with probes: ``syncs`` records host syncs while the loop runs (see
    :class:`SyncRecorder`), ``overflow_at`` makes one gradient inf at that step and records the
    optimizer's, the schedule's and the loss scale's position around every step."""

    def __init__(
        self, config: Any, callback: Any = None, stop_event: Any = None, resume_from: Any = None,
        *, overflow_at: int | None = None, syncs: SyncRecorder | None = None,
        sync_mode: str | None = "warn",
    ) -> None:  # fmt: skip
        super().__init__(config, callback, stop_event, resume_from)
        self.overflow_at = overflow_at
        self.syncs = syncs
        self.sync_mode = sync_mode
        self.phase = "setup"
        self.positions: list[dict[str, Any]] = []
        """With ``overflow_at``: per step, the positions before and after it."""

    def loop(self) -> str:
        if self.syncs is None:
            return super().loop()
        with self.syncs.watching(self, self.sync_mode):
            try:
                return super().loop()
            finally:
                self.phase = "after the loop"

    def _step(self, indices: list[int], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        number = self.state.step + 1
        before = self._position() if self.overflow_at is not None else None
        self.phase = "step"
        try:
            loss = super()._step(indices, batch)
        finally:
            self.phase = "between steps"
        if before is not None:
            after = self._position()
            changed = not torch.equal(before.pop("weight"), after.pop("weight"))
            self.positions.append({"step": number, "injected": number == self.overflow_at,
                                   "before": before, "after": after,
                                   "weight_changed": changed})  # fmt: skip
        return loss

    def _after_backward(self) -> None:
        super()._after_backward()
        if self.overflow_at is not None and self.state.step + 1 == self.overflow_at:
            param = self._first_trainable()
            if param.grad is not None:
                param.grad[(0,) * param.grad.dim()] = float("inf")

    def _first_trainable(self) -> torch.Tensor:
        inner = getattr(self.optimizer, "optimizer", self.optimizer)
        return next(p for group in inner.param_groups for p in group["params"])

    def _position(self) -> dict[str, Any]:
        """The optimizer's step count, the schedule's position, the loss scale and a weight."""
        inner = getattr(self.optimizer, "optimizer", self.optimizer)
        scheduler = getattr(self.scheduler, "scheduler", self.scheduler)
        param = self._first_trainable()
        step = inner.state.get(param, {}).get("step")
        return {
            "optimizer_steps": 0 if step is None else int(step),
            "scheduler_position": int(scheduler.last_epoch),
            "loss_scale": float(self.mixed.scaler.get_scale()),
            "weight": param.detach().clone(),
        }
