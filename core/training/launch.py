"""Starting a run: the trainer its settings call for, run to the end in the calling thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from accelerate import PartialState

from core.config import TrainConfig
from core.hardware import default_device
from core.training.artifacts import check_output_folder
from core.training.events import Callback
from core.training.multitask import MultiTaskTrainer
from core.training.trainer import Trainer


def processes() -> PartialState:
    """This process's place among those of ``accelerate launch`` (the only one when run alone).

    Created on the device the trainer's Accelerator will use, which then shares it.
    """
    return PartialState(cpu=default_device() == "cpu")


def create_trainer(
    config: TrainConfig,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> Trainer:
    """The trainer for ``config``: multi-task when it names several tasks.

    An output folder whose checkpoint or adapter folders PTune did not write is refused here
    (:class:`~core.errors.OutputFolderError`), before any training time is spent.
    """
    cls = MultiTaskTrainer if config.tasks else Trainer
    trainer = cls(config, callback, stop_event, resume_from)
    check_output_folder(trainer.out, config.tasks)
    return trainer


def train(
    config: TrainConfig,
    callback: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> dict[str, Any]:
    """Run one training run to the end in this thread and return its summary."""
    return create_trainer(config, callback, stop_event, resume_from).run()
