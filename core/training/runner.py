"""Background runs: ``start(config)`` returns a handle while the loop trains in a thread.

One job at a time per device, enforced by :mod:`core.training.jobs` (not only in the UI):
starting a run while a run or a sweep occupies the device raises :class:`BusyError`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.config import TrainConfig
from core.training import jobs
from core.training.events import Callback
from core.training.inputs import check_config
from core.training.launch import create_trainer
from core.training.trainer import Trainer


class RunHandle:
    """A run in a background thread: ``stop()``, ``wait()``, ``status`` and ``summary``."""

    def __init__(self, trainer: Trainer, job: jobs.Job) -> None:
        self.trainer = trainer
        self.job = job
        self.device = job.device
        self.stop_event = trainer.stop_event
        self.summary: dict[str, Any] | None = None
        self.run_id: int | None = None  # the store's id, when the run is recorded
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
        a sweep's run stops alone and the sweep goes on to its next point.
        """
        if self.job.kind == "run":
            self.job.stop()
        else:
            self.stop_event.set()

    def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        self.thread.join(timeout)
        return self.summary


def start(
    config: TrainConfig,
    callback: Callback | None = None,
    resume_from: str | Path | None = None,
    device: str | None = None,
    run_id: int | None = None,
    job: jobs.Job | None = None,
) -> RunHandle:
    """Check the config, claim the device and start training in a background thread.

    ``job``: a device already claimed (by the caller, or a sweep whose point this run is);
    without it the run claims ``device`` itself.
    """
    check_config(config)
    trainer = create_trainer(config, callback, threading.Event(), resume_from)
    job = job or jobs.claim("run", config.method, device)
    handle = RunHandle(trainer, job)
    handle.run_id = run_id
    job.attach_run(handle)  # a fresh job always takes it; a claimed one may refuse (BusyError)
    handle.thread.start()
    return handle


def active(device: str | None = None) -> RunHandle | None:
    """The run training on the device, if any (a sweep's current run included)."""
    view = jobs.current(device)
    return None if view is None else view.run
