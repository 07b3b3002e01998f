"""A group of runs trained one after another in a background thread: a sweep or a few-shot
experiment.

The group is one job of :mod:`core.training.jobs`: it holds the device from its first run to
its last, and its runs are the job's children. Stopping it stops the current run at its next
step boundary and starts no more. Every group ends with a recorded status (``finish_sweep``),
also when a run could not start (recorded as a failed run with the reason) or the group itself
hit an error. Subclasses say which runs to train (:meth:`GroupHandle._points`), how the group
ended (:meth:`GroupHandle._final_status`) and what its results are.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.config import TrainConfig
from core.errors import BusyError, PTuneError
from core.messages import Message
from core.training import jobs, runner
from core.training.events import Callback
from core.training.failures import describe_failure
from core.training.recording import start_recorded
from storage.errors import StorageError
from storage.store import Store

log = logging.getLogger(__name__)


class GroupHandle:
    """A group in a background thread: ``stop()``, ``wait()``, ``status``, ``done``/``total``."""

    kind = "group"
    """``sweep`` or ``fewshot``: the kind the store records, and the prefix of its events."""
    noun: Message
    """The group as a refused start names it ("a sweep")."""
    id_key = "sweep_id"
    """The key of the group's id in its events and results."""

    def __init__(
        self, store: Store, group_id: int, total: int, callback: Callback | None, job: jobs.Job
    ) -> None:
        self.store = store
        self.job = job  # the device this group holds; its runs are the job's children
        self.sweep_id = group_id  # the jobs registry and the pages read the group's id here
        self.callback = callback or (lambda event: None)
        self.total = total
        self.done = 0
        self.outcome: dict[str, Any] | None = None
        self.thread = threading.Thread(target=self._run, name=f"ptune-{self.kind}-{group_id}")
        self.thread.daemon = True

    @property
    def title(self) -> Message:
        """The group as messages name it ("sweep 3")."""
        raise NotImplementedError

    @property
    def stop_event(self) -> threading.Event:
        return self.job.stop_event

    @property
    def current(self) -> runner.RunHandle | None:
        """The run training now, if any."""
        return self.job.run

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return str(self.outcome["status"])
        return "stopping" if self.job.stopping else "running"

    def stop(self) -> None:
        """Stop the current run at its next step boundary (it still saves); start no more."""
        self.job.stop()

    def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Wait for the group to end; its results (None if still running after ``timeout``)."""
        self.thread.join(timeout)
        return self.outcome

    # ------------------------------------------------------------------ for subclasses
    def _points(self) -> None:
        """Train the group's runs (checking ``self.job.stopping`` between them)."""
        raise NotImplementedError

    def _final_status(self) -> tuple[str, str | None]:
        """How the group ended once its points ran: a status and an error."""
        raise NotImplementedError

    def _results(self) -> dict[str, Any]:
        """The group as recorded, once it ended."""
        raise NotImplementedError

    def _start_event(self) -> dict[str, Any]:
        return {"total": self.total}

    # ------------------------------------------------------------------ running
    def _run(self) -> None:
        status, error = "failed", None
        try:
            start = {"type": f"{self.kind}_start", self.id_key: self.sweep_id}
            self.callback({**start, **self._start_event()})
            self._points()
            status, error = self._final_status()
        except Exception as exc:  # noqa: BLE001 - a group always ends with a recorded status
            log.exception("%s %s failed", self.kind, self.sweep_id)
            error = describe_failure(exc)
        finally:
            self._finish(status, error)
            jobs.release(self.job)
        self.callback({"type": f"{self.kind}_end", **(self.outcome or {})})

    def _finish(self, status: str, error: str | None) -> None:
        try:
            self.store.finish_sweep(self.sweep_id, status, error=error)
            self.outcome = self._results()
        except StorageError as exc:
            log.error("could not record the end of %s %s: %s", self.kind, self.sweep_id, exc)
            self.outcome = {self.id_key: self.sweep_id, "status": status, "error": error,
                            "runs": []}  # fmt: skip

    def _train(self, config: TrainConfig) -> int | None:
        """Train one run of the group to its end; its id (None when the group was stopped
        first). A run that cannot start is recorded as failed, with the reason."""
        try:
            run_id, handle = start_recorded(
                self.store, config, self.callback, sweep_id=self.sweep_id, job=self.job
            )
        except BusyError:  # stopped between two runs: the job starts no further runs
            return None
        except PTuneError as exc:
            run_id = self.store.create_run(
                name=config.name or "", method=config.method, base_model=config.model,
                dataset=str(config.data), config=config.to_dict(), sweep_id=self.sweep_id,
            )  # fmt: skip
            self.store.finish_run(run_id, "failed", error=str(exc))  # English, as stored
            return run_id
        handle.wait()
        return run_id
