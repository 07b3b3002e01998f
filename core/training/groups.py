"""A group of runs trained one after another in a background thread: a sweep or a few-shot
experiment.

The group is one job of :mod:`core.training.jobs` (it is the job's :class:`~jobs.Group`): it
holds the device from its first run to its last, and its runs are the job's children. Stopping
it stops the current run at its next step boundary and starts no more. Every group ends with a
recorded status (``finish_sweep``), also when a run could not start (recorded as a failed run
with the reason) or the group itself hit an error. Subclasses say which runs to train
(:meth:`GroupHandle._points`), which finished runs count (:meth:`GroupHandle._counts`) and what
their results are.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core import runs
from core.config import TrainConfig
from core.errors import BusyError, PTuneError
from core.messages import Message, say
from core.training import jobs, ranks
from core.training.events import Callback, Event, GroupEnded, GroupStarted, PointFinished
from core.training.failures import describe_failure
from core.training.recording import default_run_name
from storage.errors import StorageError
from storage.store import Store

log = logging.getLogger(__name__)


class GroupHandle:
    """A group in a background thread: ``stop()``, ``wait()``, ``status``, ``done``/``total``.

    It is the :class:`jobs.Group` of its job: ``kind``, ``id`` and ``title``.
    """

    kind = "group"
    """``sweep`` or ``fewshot``: the kind the store records."""
    noun: Message
    """The group as a refused start names it ("a sweep")."""
    id_key = "sweep_id"
    """The key of the group's id in its results."""
    none_counted: str
    """The sentence of a group none of whose runs counted (``{error}``: the first run's)."""

    def __init__(
        self, store: Store, group_id: int, total: int, on_event: Callback | None, job: jobs.Job
    ) -> None:
        self.store = store
        self.job = job  # the device this group holds; its runs are the job's children
        self.id = group_id
        self.on_event: Callback = on_event or (lambda event: None)
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
    def current(self) -> runs.RunHandle | None:
        """The run training now, if any."""
        return self.job.run  # type: ignore[return-value]

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

    def launch(self) -> None:
        """Become the job's group and start the runs in the background."""
        self.job.set_group(self)
        self.thread.start()

    # ------------------------------------------------------------------ for subclasses
    def _points(self) -> None:
        """Train the group's runs (checking ``self.job.stopping`` between them)."""
        raise NotImplementedError

    def _result(self, run: dict[str, Any]) -> dict[str, Any]:
        """One run of the group as its results show it (``run_id``, ``status``, ``error``...)."""
        raise NotImplementedError

    def _counts(self, result: dict[str, Any]) -> bool:
        """Whether a run's result counts as done for the group's final status."""
        raise NotImplementedError

    def _results(self) -> dict[str, Any]:
        """The group as recorded, once it ended."""
        raise NotImplementedError

    # ------------------------------------------------------------------ running
    def _run(self) -> None:
        status, error = "failed", None
        try:
            self._emit(GroupStarted(self.kind, self.id, self.total, self.done))
            self._points()
            status, error = self._final_status()
        except Exception as exc:  # noqa: BLE001 - a group always ends with a recorded status
            log.exception("%s %s failed", self.kind, self.id)
            error = describe_failure(exc)
        finally:
            self._finish(status, error)
            jobs.release(self.job)
        self._emit(GroupEnded(self.kind, self.id, self.outcome or {}))

    def _emit(self, event: Event) -> None:
        self.on_event(event)

    def _final_status(self) -> tuple[str, str | None]:
        """How the group ended once its points ran: stopped when asked, failed when runs
        ended and none of them counts (with the first one's error), else succeeded."""
        if self.job.stopping:
            return "stopped", None
        results = [self._result(run) for run in self.store.list_runs(sweep_id=self.id)]
        if results and not any(self._counts(r) for r in results):
            first = min(results, key=lambda r: r["run_id"])
            return "failed", say(self.none_counted, error=first["error"])
        return "succeeded", None

    def _finish(self, status: str, error: str | None) -> None:
        try:
            self.store.finish_sweep(self.id, status, error=error)
            self.outcome = self._results()
        except StorageError as exc:
            log.error("could not record the end of %s %s: %s", self.kind, self.id, exc)
            self.outcome = {self.id_key: self.id, "status": status, "error": error, "runs": []}

    def _train_point(self, index: int, config: TrainConfig) -> dict[str, Any] | None:
        """Train one run of the group to its end and report it as point ``index``; its record
        (None when the group was stopped first). A run that cannot start is recorded as failed,
        with the reason."""
        try:
            handle = runs.start(self.store, config, self.on_event, job=self.job)
        except BusyError:  # stopped between two runs: the job starts no further runs
            return None
        except PTuneError as exc:
            run_id = self.store.create_run(
                name=default_run_name(config), method=config.method, base_model=config.model,
                dataset=config.dataset_text(), config=config.to_dict(), sweep_id=self.id,
            )  # fmt: skip
            self.store.finish_run(run_id, "failed", error=str(exc))  # English, as stored
        else:
            summary = handle.wait() or {}
            run_id = int(handle.run_id)  # type: ignore[arg-type]
            if summary.get("status") == "stopped" and ranks.several():
                # Under torchrun only Ctrl-C or SIGTERM, on any of the processes, stops a run:
                # the whole group stops with it, in every process.
                self.job.stop()
        run = self.store.get_run(run_id)
        result = self._result(run)
        if self._counts(result):
            self.done += 1
        self._emit(PointFinished(self.kind, self.id, index, self.total, self.done, result))
        return run


def claim_for(group_kind: type[GroupHandle], what: str) -> jobs.Job:
    """Claim the device for a new group of ``group_kind``; BusyError while it is taken."""
    return jobs.claim("group", what, noun=group_kind.noun)


def start_group(handle: GroupHandle) -> GroupHandle:
    """Start a group whose record exists on the job it claimed."""
    handle.launch()
    return handle
