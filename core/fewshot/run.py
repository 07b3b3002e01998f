"""Running a few-shot experiment: its points one after another, stoppable and resumable.

The experiment is recorded as a group of runs (``kind`` ``fewshot`` in the store's sweeps
table) and every point is an ordinary recorded run of that group, so the Monitor, Try it and
the command line see each one. It is one job of :mod:`core.training.jobs`: while it runs no
other run starts on the device (the app's queue waits). Stopping it stops the current run and
starts no more; :func:`resume_fewshot` later trains the points that have no finished run yet,
also after the process that ran it ended.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from core import runs
from core.config import TrainConfig
from core.data.loading import load_data
from core.data.splits import split_label_counts
from core.errors import RunStateError
from core.fewshot.plan import ALL, FewShotConfig, Shot, check_plan
from core.fewshot.results import counted, fewshot_results, point_of, run_result
from core.messages import Message, say
from core.training import jobs
from core.training.events import Callback
from core.training.groups import GroupHandle
from core.training.ranks import StopSignal
from storage.ownership import is_checkpoint
from storage.store import Store

KIND = "fewshot"
NOUN = say("a few-shot experiment")


def point_name(experiment_id: int, method: str, k: Shot, seed: int) -> str:
    """The name of the experiment's run of one method, size and seed."""
    return f"few-shot {experiment_id} · {method} · k={k} · seed {seed}"


def fit_to_data(config: FewShotConfig) -> list[str]:
    """Load the dataset once and drop sizes larger than its smallest class; notes on what was
    dropped. DataError (before anything is recorded) when the data cannot train at all."""
    base = config.base
    bundle = load_data(
        base.data, text_column=base.text_column, label_column=base.label_column,
        validation_fraction=base.validation_fraction, seed=base.seed, task=base.task,
        text_pair_column=base.text_pair_column,
    )  # fmt: skip
    counts = split_label_counts(bundle.train, bundle.label_names)
    smallest, name = min((n, label) for label, n in counts.items())
    too_many = [k for k in config.shots if k != ALL and int(k) > smallest]
    if not too_many:
        return []
    config.shots = tuple(k for k in config.shots if k not in too_many)
    return [
        say(
            "left out {sizes} examples per class: class {name!r} has only {rows:,} training rows "
            "('all' covers it)",
            sizes=", ".join(map(str, too_many)),
            name=name,
            rows=smallest,
        )
    ]


class FewShotHandle(GroupHandle):
    """An experiment in a background thread: ``stop()``, ``wait()``, ``status``, progress."""

    kind = KIND
    noun = NOUN
    id_key = "experiment_id"
    none_counted = "no run finished; the first one said: {error}"

    def __init__(
        self, store: Store, config: FewShotConfig, experiment_id: int,
        on_event: Callback | None, job: jobs.Job,
    ) -> None:  # fmt: skip
        super().__init__(store, experiment_id, len(config.points), on_event, job)
        self.config = config
        finished = [run_result(r) for r in store.list_runs(sweep_id=experiment_id)]
        self.finished = set(counted(finished))  # points a resumed experiment has already
        self.done = len(self.finished)

    @property
    def experiment_id(self) -> int:
        return self.id

    @property
    def title(self) -> Message:
        return say("few-shot experiment {experiment}", experiment=self.id)

    def _points(self) -> None:
        for index, point in enumerate(self.config.points):
            if self.job.stopping:
                break
            if point not in self.finished:
                method, k, seed = point
                name = point_name(self.id, method, k, seed)
                run = self._train_point(
                    index, TrainConfig(**self.config.values(method, k, seed, name))
                )
                if run is not None and run["status"] == "succeeded":
                    _drop_checkpoint(run)

    def _result(self, run: dict[str, Any]) -> dict[str, Any]:
        return run_result(run)

    def _counts(self, result: dict[str, Any]) -> bool:
        return result["status"] == "succeeded"

    def _results(self) -> dict[str, Any]:
        return fewshot_results(self.store, self.id)


def _drop_checkpoint(run: dict[str, Any]) -> None:
    """A finished point is never resumed: its resumable checkpoint (optimizer state included,
    three times the adapter for full fine-tuning) is removed; the adapter stays for Try it."""
    folder = Path(str(run.get("checkpoint_path") or ""))
    if run.get("checkpoint_path") and is_checkpoint(folder):
        shutil.rmtree(folder, ignore_errors=True)


def start_fewshot(
    store: Store, config: FewShotConfig, on_event: Callback | None = None
) -> FewShotHandle:
    """Check the plan against the settings and the data, record the experiment and start it.

    ``on_event`` receives every run's engine events plus the experiment's own: GroupStarted,
    PointFinished (a finished run) and GroupEnded (the whole result). BusyError while the device is
    occupied; ConfigError / DataError (nothing recorded) for a plan that cannot run.
    """
    check_plan(config)
    notes = fit_to_data(config)
    check_plan(config)
    job = jobs.claim("group", ", ".join(config.methods), noun=NOUN)
    try:
        experiment_id = store.create_sweep(
            name=config.experiment_name(), method=",".join(config.methods),
            dataset=str(config.base.data), grid={**config.grid(), "notes": notes},
            config=config.base.to_dict(), kind=KIND,
        )  # fmt: skip
        handle = FewShotHandle(store, config, experiment_id, on_event, job)
    except BaseException:
        jobs.release(job)
        raise
    handle.launch()
    return handle


def config_of(record: dict[str, Any]) -> FewShotConfig:
    """The plan an experiment was recorded with."""
    grid = record.get("grid") or {}
    base = TrainConfig.from_stored(record.get("config"))
    seeds = list(grid.get("seeds") or [base.seed])
    base.seed = int(seeds[0])
    return FewShotConfig(
        base=base, methods=tuple(grid.get("methods") or ()), shots=tuple(grid.get("shots") or ()),
        seeds=len(seeds), steps=int(grid.get("steps") or 1), name=record["name"],
    )  # fmt: skip


def resume_fewshot(
    store: Store, experiment_id: int, on_event: Callback | None = None
) -> FewShotHandle:
    """Train the points of a stopped, interrupted or failed experiment that have no finished
    run yet, under the same experiment id. RunStateError when it is running or complete."""
    record = store.get_sweep(experiment_id)
    if record.get("kind") != KIND:
        raise RunStateError(
            say(
                "#{id} ({name}) is not a few-shot experiment", id=experiment_id, name=record["name"]
            )
        )
    if record["status"] == "running":
        raise RunStateError(
            say(
                "few-shot experiment {experiment} is still running; it cannot be resumed",
                experiment=experiment_id,
            )
        )
    config = config_of(record)
    results = [run_result(run) for run in store.list_runs(sweep_id=experiment_id)]
    if set(config.points) <= set(counted(results)):
        raise RunStateError(
            say(
                "few-shot experiment {experiment} has a finished run for every point; there is "
                "nothing left to resume",
                experiment=experiment_id,
            )
        )
    job = jobs.claim("group", ", ".join(config.methods), noun=NOUN)
    try:
        store.reopen_sweep(experiment_id)
        handle = FewShotHandle(store, config, experiment_id, on_event, job)
    except BaseException:
        jobs.release(job)
        raise
    handle.launch()
    return handle


def run_fewshot(
    store: Store, config: FewShotConfig, on_event: Callback | None = None,
    resume: int | None = None, signals: StopSignal | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run (or resume) a whole experiment in this thread's time (Ctrl-C stops it).

    ``signals``: under torchrun, the signals that stop it (see :func:`runs.wait_or_stop`).
    """
    if resume is None:
        handle = start_fewshot(store, config, on_event)
    else:
        handle = resume_fewshot(store, resume, on_event)
    runs.wait_or_stop(handle, signals)
    return handle.outcome or {}


__all__ = ["FewShotHandle", "KIND", "config_of", "fit_to_data", "point_name", "point_of",
           "resume_fewshot", "run_fewshot", "start_fewshot"]  # fmt: skip
