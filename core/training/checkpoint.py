"""Where the loop is, and the resumable checkpoint that records it."""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file

from core.config import TrainConfig, stored_run_config
from core.errors import CheckpointError
from core.messages import say
from core.training import artifacts


@dataclass
class LoopState:
    """Where the loop is; saved in checkpoints so a run can resume."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    total_steps: int = 0
    samples: int = 0
    train_seconds: float = 0.0
    best_accuracy: float = -1.0
    best_step: int = -1
    evals_without_gain: int = 0
    prompt_length: int = 0  # virtual tokens now (prompt methods; grows with a growth schedule)
    best_prompt_length: int = 0

    def record_eval(self, accuracy: float) -> bool:
        """Count an evaluation towards early stopping; True when it is the best so far."""
        if accuracy > self.best_accuracy:
            self.best_accuracy, self.best_step, self.evals_without_gain = accuracy, self.step, 0
            self.best_prompt_length = self.prompt_length
            return True
        self.evals_without_gain += 1
        return False

    def samples_per_second(self) -> float:
        return self.samples / self.train_seconds if self.train_seconds > 0 else 0.0

    def summary(self, keep_best: bool, epochs: float) -> dict[str, Any]:
        """The run summary's account of training: steps, the best step, epochs and speed."""
        return {
            "best_step": self.best_step if keep_best else self.step,
            "steps": self.step,
            "epochs": round(epochs, 3),
            "train_samples_per_second": self.samples_per_second(),
            "train_seconds": self.train_seconds,
        }


@dataclass
class ResumePoint:
    """What a checkpoint holds for the run that continues from it."""

    loop: LoopState
    trainable: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    best: dict[str, torch.Tensor] | None
    same_settings: bool  # False when the run continues with changed settings (a new plan)


def read_checkpoint(folder: Path, config: TrainConfig) -> ResumePoint:
    """The checkpoint in ``folder``, refused when it belongs to another method or model.

    Its scheduler state is not needed: the learning rate is a function of the step.
    """
    trainable, states, saved = artifacts.load_checkpoint(folder)
    if saved.get("method") != config.method or saved.get("model") != config.model:
        raise CheckpointError(
            say(
                "checkpoint {folder} belongs to a {method} run on {model}, not to this {this} run",
                folder=folder,
                method=saved.get("method"),
                model=saved.get("model"),
                this=config.method,
            )  # fmt: skip
        )
    best = folder / "best.safetensors"
    return ResumePoint(
        loop=LoopState(**saved["loop"]),
        trainable=trainable,
        optimizer=states["optimizer"],
        best=load_file(str(best)) if best.is_file() else None,
        same_settings=_same_settings(saved.get("config"), config),
    )


def checkpoint_task(folder: Path) -> str | None:
    """The task a checkpoint's run read its data as, None when it does not say (written before
    tasks were kept, or unreadable: reading the checkpoint itself then says why)."""
    for candidate in (Path(folder), Path(folder).with_name(Path(folder).name + ".old")):
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((candidate / "trainer_state.json").read_text(encoding="utf-8"))
            task = state.get("task") if isinstance(state, dict) else None
            return str(task) if task else None
    return None


def _same_settings(stored: dict[str, Any] | None, config: TrainConfig) -> bool:
    """Whether the settings a checkpoint was written with are ``config``'s, read as this
    version reads stored settings (a setting added since takes its default; the task of one
    written before task types existed is single_label)."""
    return stored is not None and stored_run_config(stored).to_dict() == config.to_dict()


def write_checkpoint(
    folder: Path,
    config: TrainConfig,
    state: LoopState,
    trainable: dict[str, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    best: dict[str, torch.Tensor] | None,
    task: str | None = None,
) -> None:
    """Write the resumable checkpoint of a run at ``state``; ``task`` is the task its data was
    read as (the one ``auto`` found), which a resumed run reads its data as again."""
    saved = {
        "method": config.method,
        "model": config.model,
        "config": config.to_dict(),
        "loop": asdict(state),
        **({"task": task} if task else {}),
    }
    artifacts.save_checkpoint(folder, trainable, optimizer, scheduler, saved, best=best)
