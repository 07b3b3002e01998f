"""Background runs: ``start(config)`` returns a handle while the loop trains in a thread.

One run at a time per device, enforced here (not only in the UI): starting a second run while
one occupies the device raises :class:`BusyError`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from core.config import TrainConfig
from core.errors import BusyError
from core.hardware import default_device
from core.training.events import Callback
from core.training.inputs import check_config
from core.training.launch import create_trainer
from core.training.trainer import Trainer

_lock = threading.Lock()
_active: dict[str, RunHandle] = {}


class RunHandle:
    """A run in a background thread: ``stop()``, ``wait()``, ``status`` and ``summary``."""

    def __init__(self, trainer: Trainer, device: str) -> None:
        self.trainer = trainer
        self.device = device
        self.stop_event = trainer.stop_event
        self.summary: dict[str, Any] | None = None
        self.run_id: int | None = None  # the store's id, when the run is recorded
        self.thread = threading.Thread(target=self._run, name=f"ptune-train-{device}", daemon=True)

    def _run(self) -> None:
        try:
            self.summary = self.trainer.run()
        finally:
            with _lock:
                if _active.get(self.device) is self:
                    del _active[self.device]

    @property
    def status(self) -> str:
        if self.summary is not None:
            return str(self.summary["status"])
        return "running" if self.thread.is_alive() else "queued"

    @property
    def out(self) -> Path:
        return self.trainer.out

    def stop(self) -> None:
        """Ask the loop to stop at the next step boundary; it still saves the adapter."""
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
) -> RunHandle:
    """Check the config, claim the device and start training in a background thread."""
    check_config(config)
    device = device or default_device()
    trainer = create_trainer(config, callback, threading.Event(), resume_from)
    with _lock:
        busy = _active.get(device)
        if busy is not None and busy.thread.is_alive():
            raise BusyError(
                f"a {busy.trainer.config.method} run is already training on {device}; "
                "wait for it to finish or stop it first"
            )
        handle = RunHandle(trainer, device)
        handle.run_id = run_id
        _active[device] = handle
    handle.thread.start()
    return handle


def active(device: str | None = None) -> RunHandle | None:
    """The run occupying the device, if any (a reloaded page re-attaches to it)."""
    with _lock:
        return _active.get(device or default_device())
