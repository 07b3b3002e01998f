"""A run in a background thread: its handle (``stop()``, ``wait()``, ``status``, ``summary``).

:func:`core.runs.start` and :func:`core.runs.resume` create the trainer, claim the device and
hand both to :func:`start_in_background`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.training import jobs
from core.training.trainer import Trainer


class RunHandle:
    """A run in a background thread: ``stop()``, ``wait()``, ``status`` and ``summary``."""

    def __init__(self, trainer: Trainer, job: jobs.Job, run_id: int | None = None) -> None:
        self.trainer = trainer
        self.job = job
        self.device = job.device
        self.stop_event = trainer.stop_event
        self.summary: dict[str, Any] | None = None
        self.run_id = run_id  # the store's id, when the run is recorded
        name = f"ptune-train-{self.device}"
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.summary = self.trainer.run()
        finally:
            self.job.detach_run(self)

    @property
    def status(self) -> str:
        if self.summary is not None:
            return str(self.summary["status"])
        return "running" if self.thread.is_alive() else "queued"

    @property
    def out(self) -> Path:
        return self.trainer.out

    def stop(self) -> None:
        """Ask the loop to stop at the next step boundary; it still saves the adapter.

        A run that is a job of its own stops through the job registry, like every other stop;
        a group's run stops alone and the group goes on to its next point.
        """
        if self.job.kind == "run":
            self.job.stop()
        else:
            self.stop_event.set()

    def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        self.thread.join(timeout)
        return self.summary


def start_in_background(trainer: Trainer, job: jobs.Job, run_id: int | None = None) -> RunHandle:
    """Make the trainer ``job``'s run and start it in a background thread.

    BusyError when the job already has a run or is a group that was stopped (a claimed job of
    its own always takes it).
    """
    handle = RunHandle(trainer, job, run_id)
    job.attach_run(handle)
    handle.thread.start()
    return handle
