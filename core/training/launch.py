"""Building a run's trainer, and this process's place among those of ``accelerate launch``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accelerate import PartialState

from core.config import TrainConfig
from core.hardware import default_device
from core.tasks import detect_source
from core.training.artifacts import check_output_folder
from core.training.events import Callback
from core.training.multitask import MultiTaskTrainer
from core.training.ranks import collective_timeout
from core.training.tagging import TaggingTrainer
from core.training.trainer import Trainer


def processes() -> PartialState:
    """This process's place among those of ``accelerate launch`` (the only one when run alone).

    Created on the device the trainer's Accelerator will use, which then shares it; its
    collectives give up after :func:`~core.training.ranks.collective_timeout`, so a process
    waiting for one that failed ends instead of hanging.
    """
    return PartialState(cpu=default_device() == "cpu", timeout=collective_timeout())


@contextmanager
def joined() -> Iterator[PartialState]:
    """:func:`processes`, for the length of a command: on the way out the process group is
    taken down, so none of its threads outlives the interpreter (a gloo group left up can abort
    a process as it exits, after its run was recorded, and torchrun then fails the command)."""
    state = processes()
    try:
        yield state
    finally:
        state.destroy_process_group()


def create_trainer(
    config: TrainConfig,
    on_event: Callback | None = None,
    stop_event: threading.Event | None = None,
    resume_from: str | Path | None = None,
) -> Trainer:
    """The trainer for ``config``: multi-task when it names several tasks, tagging for tagged
    words (:func:`core.tasks.detect_source`).

    An output folder whose checkpoint or adapter folders PTune did not write is refused here
    (:class:`~core.errors.OutputFolderError`), before any training time is spent.
    """
    cls: type[Trainer] = Trainer
    if config.tasks:
        cls = MultiTaskTrainer
    elif detect_source(config.data, config.task) is not None:
        cls = TaggingTrainer  # tagged words: a CoNLL file, or the task chosen
    trainer = cls(config, on_event, stop_event, resume_from)
    check_output_folder(trainer.out, config.tasks)
    return trainer
