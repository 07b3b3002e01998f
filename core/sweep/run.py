"""Sweeps: a grid of prompt length x learning rate for a prompt method, one run per point.

Every grid point is a normal recorded run (:func:`core.training.recording.start_recorded`)
grouped under one sweep id in the store, so the Monitor, Try it and the command line see it like
any other run. The points train one after another in a background thread; the sweep is one job
of :mod:`core.training.jobs`, so while it runs no other run or sweep starts on the device, and
its points run as its children. Stopping a sweep stops its current run (which still evaluates
and saves, as stopped runs do) and starts no more; finished runs are kept.

Command line: ``python -m core.sweep --method ptuning_v2 --data X --lengths 10,20,30
--lrs 0.01,0.003`` with any flag of ``python -m core.train`` for the shared settings; the last
line of standard output is one JSON object with every run's result and the best.

"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from core import train as train_cli
from core.config import TrainConfig
from core.errors import PTuneError
from core.messages import Message, say
from core.sweep.grid import (
    DEFAULT_LENGTHS,
    LENGTH,
    MAX_RUNS,
    SweepConfig,
    check_sweep,
    default_lrs,
    length_range,
    parse_lengths,
    parse_lrs,
    prompt_methods,
    read_values,
    sweep_problems,
)
from core.training import jobs
from core.training.events import Callback
from core.training.groups import GroupHandle
from storage.errors import StorageError
from storage.store import Store

__all__ = [
    "DEFAULT_LENGTHS", "LENGTH", "MAX_RUNS", "SweepConfig", "SweepHandle", "active_sweep",
    "best_result", "build_parser", "check_sweep", "default_lrs", "length_range", "main",
    "parse_lengths", "parse_lrs", "prompt_methods", "read_values", "run_name", "run_result",
    "run_sweep", "start_sweep", "sweep_problems", "sweep_results",
]  # fmt: skip

log = logging.getLogger(__name__)

RANKED = ("succeeded", "stopped")
"""Statuses whose final evaluation counts when choosing the best run."""


def run_name(sweep_id: int, length: int, lr: float) -> str:
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
        "train_seconds": metrics.get("train_seconds"),
        "error": run.get("error"),
    }


def best_result(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The highest validation accuracy among succeeded or stopped runs (the first on a tie)."""
    ranked = [r for r in results if r["status"] in RANKED and r["eval_accuracy"] is not None]
    return max(ranked, key=lambda r: r["eval_accuracy"]) if ranked else None


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
    return None if view is None else view.sweep


class SweepHandle(GroupHandle):
    """A sweep in a background thread: ``stop()``, ``wait()``, ``status``, ``done``/``total``."""

    kind = "sweep"
    noun = say("a sweep")

    def __init__(
        self, store: Store, config: SweepConfig, sweep_id: int, callback: Callback | None,
        job: jobs.Job,
    ) -> None:  # fmt: skip
        super().__init__(store, sweep_id, len(config.points), callback, job)
        self.config = config

    @property
    def title(self) -> Message:
        return say("sweep {sweep}", sweep=self.sweep_id)

    def _points(self) -> None:
        for index, (length, lr) in enumerate(self.config.points):
            if self.job.stopping:
                break
            self._run_point(index, length, lr)

    def _final_status(self) -> tuple[str, str | None]:
        if self.job.stopping:
            return "stopped", None
        results = [run_result(run) for run in self.store.list_runs(sweep_id=self.sweep_id)]
        if results and all(r["status"] == "failed" for r in results):
            first = min(results, key=lambda r: r["run_id"])
            return "failed", say(
                "every run failed; the first one said: {error}", error=first["error"]
            )
        return "succeeded", None

    def _results(self) -> dict[str, Any]:
        return sweep_results(self.store, self.sweep_id)

    def _finish(self, status: str, error: str | None) -> None:
        super()._finish(status, error)
        if self.outcome is not None:
            self.outcome.setdefault("best", None)

    def _run_point(self, index: int, length: int, lr: float) -> None:
        values = self.config.values(length, lr, run_name(self.sweep_id, length, lr))
        run_id = self._train(TrainConfig(**values))
        if run_id is None:
            return
        self.done += 1
        result = run_result(self.store.get_run(run_id))
        self.callback({"type": "sweep_point", "index": index, "total": self.total, **result})


def start_sweep(store: Store, config: SweepConfig, callback: Callback | None = None) -> SweepHandle:
    """Check the grid, record the sweep and start its runs in a background thread.

    ``callback`` receives every run's engine events plus ``sweep_start``, ``sweep_point`` (a
    finished run's result) and ``sweep_end`` (the whole result). BusyError while a run or
    another sweep occupies the device.
    """
    check_sweep(config)
    job = jobs.claim("sweep", config.method)  # before the record: a refusal leaves none
    try:
        sweep_id = store.create_sweep(
            name=config.sweep_name(), method=config.method, dataset=str(config.base.data),
            grid={LENGTH: list(config.lengths), "lr": list(config.lrs or ())},
            config={**config.base.to_dict(), "method": config.method},
        )  # fmt: skip
        handle = SweepHandle(store, config, sweep_id, callback, job)
        job.set_sweep(handle)
    except BaseException:
        jobs.release(job)
        raise
    handle.thread.start()
    return handle


def run_sweep(
    store: Store, config: SweepConfig, callback: Callback | None = None
) -> dict[str, Any]:
    """Run a whole sweep in this thread's time (Ctrl-C stops it); its results."""
    handle = start_sweep(store, config, callback)
    try:
        handle.wait()
    except KeyboardInterrupt:
        handle.stop()
        handle.wait()
    return handle.outcome or {}


# ----------------------------------------------------------------------------- command line
NOT_FOR_SWEEPS = {
    "lr": "--lr does not apply to a sweep; give the learning rates with --lrs",
    f"m_{LENGTH}": "--num-virtual-tokens does not apply to a sweep; give them with --lengths",
    "resume": "--resume does not apply to a sweep; start the sweep again",
    "resume_run": "--resume-run does not apply to a sweep; resume a single run with core.train",
    "out": "--out does not apply to a sweep; each run gets its own folder beside the database",
}


def build_parser() -> argparse.ArgumentParser:
    """``python -m core.train``'s flags for the shared settings, plus the grid."""
    parser = train_cli.group_parser(
        "python -m core.sweep",
        "Train one run per prompt length x learning rate of a prompt method, one after "
        "another, recorded as a sweep in the PTune Studio database.",
        NOT_FOR_SWEEPS,
        {
            "db": "the PTune Studio database (default: the one the app uses)",
            "name": "a name for the sweep",
        },  # fmt: skip
    )
    group = parser.add_argument_group("sweep")
    group.add_argument(
        "--lengths", default=",".join(map(str, DEFAULT_LENGTHS)),
        help="prompt lengths to try, comma-separated (default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--lrs", default="", help="learning rates to try, comma-separated (default: three "
        "around the method's default learning rate)",
    )  # fmt: skip
    return parser


def config_from_args(args: argparse.Namespace) -> SweepConfig:
    """The sweep described by the flags (ConfigError for flags a sweep does not take)."""
    train_cli.refuse_flags(args, NOT_FOR_SWEEPS)
    base = train_cli.config_from_args(args)
    lrs = parse_lrs(args.lrs) if args.lrs.strip() else None
    return SweepConfig(base=base, method=base.method, lengths=tuple(parse_lengths(args.lengths)),
                       lrs=None if lrs is None else tuple(lrs), name=base.name)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
        store = Store(args.db)
        outcome = run_sweep(
            store,
            config,
            train_cli.PointLines(
                not args.quiet, "sweep_point", lambda e: f"P={e[LENGTH]}, lr={e['lr']:g}"
            ),
        )
    except (PTuneError, StorageError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    line = {"sweep_id": outcome.get("sweep_id"), "db": str(store.path)}
    line.update({key: outcome.get(key) for key in ("status", "runs", "best")})
    print(json.dumps(line))
    if outcome.get("status") == "failed":
        print(f"error: {outcome.get('error')}", file=sys.stderr)
        return 1
    return 0
