"""Sweeps: a grid of prompt length x learning rate for a prompt method, one run per point.

Every grid point is a normal recorded run (:func:`core.runs.start`)
grouped under one sweep id in the store, so the Monitor, Try it and the command line see it like
any other run. The points train one after another in a background thread; the sweep is one job
of :mod:`core.training.jobs`, so while it runs no other run or sweep starts on the device, and
its points run as its children. Stopping a sweep stops its current run (which still evaluates
and saves, as stopped runs do) and starts no more; finished runs are kept.

The command line is :mod:`core.sweep.cli`.
"""

from __future__ import annotations

from typing import Any

from core import runs
from core.config import TrainConfig
from core.messages import Message, say
from core.sweep.grid import LENGTH, SweepConfig, check_sweep
from core.tasks import best_score
from core.training import jobs
from core.training.events import Callback
from core.training.groups import GroupHandle
from core.training.ranks import StopSignal
from storage.store import Store

KIND = "sweep"

RANKED = ("succeeded", "stopped")
"""Statuses whose final evaluation counts when choosing the best run."""


def point_name(sweep_id: int, length: int, lr: float) -> str:
    """The name of the sweep's run at one grid point."""
    return f"sweep {sweep_id} · P={length} · lr={lr:g}"


# ----------------------------------------------------------------------------- results
def run_result(run: dict[str, Any]) -> dict[str, Any]:
    """One run of a sweep: its grid point, status and final scores."""
    config, metrics = TrainConfig.from_stored(run.get("config")), run.get("metrics") or {}
    return {
        "run_id": run["id"],
        LENGTH: (config.method_options or {}).get(LENGTH),
        "lr": config.lr,
        "status": run["status"],
        "eval_accuracy": metrics.get("eval_accuracy"),
        "eval_f1": metrics.get("eval_f1"),
        "task": metrics.get("task"),
        "score": best_score(metrics),
        "train_seconds": metrics.get("train_seconds"),
        "error": run.get("error"),
    }


def best_result(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The best validation score among succeeded or stopped runs (the first on a tie): the
    task's best metric (:func:`core.tasks.best_score`; accuracy for one label per row)."""
    ranked = [
        r
        for r in results
        if r["status"] in RANKED and (r["eval_accuracy"] is not None or r.get("score") is not None)
    ]
    return max(ranked, key=_score) if ranked else None


def _score(result: dict[str, Any]) -> float:
    score = result.get("score")
    return float(result["eval_accuracy"] if score is None else score)


def sweep_results(store: Store, sweep_id: int) -> dict[str, Any]:
    """The sweep as recorded: its settings, status, each run's result (oldest first), the best."""
    sweep = store.get_sweep(sweep_id)
    runs = sorted(store.list_runs(sweep_id=sweep_id), key=lambda run: run["id"])
    results = [run_result(run) for run in runs]
    keys = ("name", "method", "dataset", "status", "error", "grid", "created_at", "finished_at")
    return {
        "sweep_id": sweep["id"],
        **{key: sweep[key] for key in keys},
        "runs": results,
        "best": best_result(results),
    }


# ----------------------------------------------------------------------------- running
def active_sweep() -> SweepHandle | None:
    """The sweep running in this process, if any (a reloaded page re-attaches to it)."""
    view = jobs.current()
    if view is None or not view.is_group(KIND):
        return None
    return view.group  # type: ignore[return-value]


class SweepHandle(GroupHandle):
    """A sweep in a background thread: ``stop()``, ``wait()``, ``status``, ``done``/``total``."""

    kind = KIND
    noun = say("a sweep")
    none_counted = "every run failed; the first one said: {error}"

    def __init__(
        self, store: Store, config: SweepConfig, sweep_id: int, on_event: Callback | None,
        job: jobs.Job,
    ) -> None:  # fmt: skip
        super().__init__(store, sweep_id, len(config.points), on_event, job)
        self.config = config

    @property
    def sweep_id(self) -> int:
        return self.id

    @property
    def title(self) -> Message:
        return say("sweep {sweep}", sweep=self.id)

    def _points(self) -> None:
        for index, (length, lr) in enumerate(self.config.points):
            if self.job.stopping:
                break
            values = self.config.values(length, lr, point_name(self.id, length, lr))
            self._train_point(index, TrainConfig(**values))

    def _result(self, run: dict[str, Any]) -> dict[str, Any]:
        return run_result(run)

    def _counts(self, result: dict[str, Any]) -> bool:
        return result["status"] != "failed"

    def _results(self) -> dict[str, Any]:
        return sweep_results(self.store, self.id)

    def _finish(self, status: str, error: str | None) -> None:
        super()._finish(status, error)
        if self.outcome is not None:
            self.outcome.setdefault("best", None)


def start_sweep(store: Store, config: SweepConfig, on_event: Callback | None = None) -> SweepHandle:
    """Check the grid, record the sweep and start its runs in a background thread.

    ``on_event`` receives every run's engine events plus the sweep's own: GroupStarted,
    PointFinished (a finished run's result) and GroupEnded (the whole result). BusyError while
    a run or another group occupies the device.
    """
    check_sweep(config)
    job = jobs.claim("group", config.method, noun=SweepHandle.noun)  # a refusal records nothing
    try:
        sweep_id = store.create_sweep(
            name=config.sweep_name(), method=config.method, dataset=str(config.base.data),
            grid={LENGTH: list(config.lengths), "lr": list(config.lrs or ())},
            config={**config.base.to_dict(), "method": config.method}, kind=KIND,
        )  # fmt: skip
        handle = SweepHandle(store, config, sweep_id, on_event, job)
    except BaseException:
        jobs.release(job)
        raise
    handle.launch()
    return handle


def run_sweep(
    store: Store, config: SweepConfig, on_event: Callback | None = None,
    signals: StopSignal | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run a whole sweep in this thread's time (Ctrl-C stops it); its results.

    ``signals``: under torchrun, the signals that stop it (see :func:`runs.wait_or_stop`).
    """
    handle = start_sweep(store, config, on_event)
    runs.wait_or_stop(handle, signals)
    return handle.outcome or {}
