"""Recording runs in the store: the engine's events become rows as they happen.

Status changes are written at once and metrics at every logging step (one transaction per
event), so a killed process loses at most the steps since its last log line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

from core.config import TrainConfig
from core.errors import BusyError, CheckpointError, OutputFolderError, RunStateError
from core.messages import say
from core.training import jobs, runner
from core.training.events import Callback, Event
from core.training.inputs import check_config
from storage.store import Store

TRAIN_SERIES = ("loss", "lr", "samples_per_second", "eta_seconds", "progress")
EVAL_SKIP = ("type", "step", "epoch", "final")


class RunRecorder:
    """Engine callback that writes a run's events into the store, then forwards them."""

    def __init__(self, store: Store, run_id: int, forward: Callback | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.forward = forward

    def __call__(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event['type']}", None)
        if handler is not None:
            handler(event)
        if self.forward is not None:
            self.forward(event)

    def _on_start(self, event: Event) -> None:
        self.store.start_run(self.run_id)
        self.store.update_run(
            self.run_id,
            label_names=event["label_names"],
            trainable_params=event["trainable_params"],
            total_params=event["total_params"],
            checkpoint_path=str(Path(event["out"]) / "checkpoint"),
        )

    def _on_train(self, event: Event) -> None:
        rows = [_row(event, "train", name, event[name]) for name in TRAIN_SERIES]
        rows.append(_row(event, "train", "total_steps", event["total_steps"]))
        self.store.append_metrics(self.run_id, rows)

    def _on_grow(self, event: Event) -> None:
        rows = [_row(event, "train", "prompt_length", event["prompt_length"])]
        self.store.append_metrics(self.run_id, rows)

    def _on_eval(self, event: Event) -> None:
        split = "final" if event.get("final") else "eval"
        rows = [
            _row(event, split, name, value)
            for name, value in event.items()
            if name not in EVAL_SKIP and isinstance(value, (int, float))
        ]
        self.store.append_metrics(self.run_id, rows)

    def _on_end(self, event: Event) -> None:
        adapter = event.get("adapter_path")
        if adapter and Path(adapter).is_dir():
            checkpoint = event.get("checkpoint_path")
            self.store.save_adapter(
                self.run_id, Path(adapter), kind=event["method"],
                checkpoint_path=Path(checkpoint) if checkpoint else None,
            )  # fmt: skip
        final = {k: v for k, v in event.items() if k not in ("type", "error")}
        self.store.finish_run(self.run_id, event["status"], error=event.get("error"), metrics=final)


def _row(event: Event, split: str, name: str, value: Any) -> dict[str, Any]:
    return {"step": event["step"], "epoch": event.get("epoch"), "split": split,
            "name": name, "value": float(value)}  # fmt: skip


def run_name(config: TrainConfig) -> str:
    if config.tasks:
        return config.name or f"{config.method} on {' + '.join(config.tasks)}"
    return config.name or f"{config.method} on {Path(str(config.data)).name or config.data}"


def start_recorded(
    store: Store,
    config: TrainConfig,
    forward: Callback | None = None,
    sweep_id: int | None = None,
    job: jobs.Job | None = None,
) -> tuple[int, runner.RunHandle]:
    """Check the config, record a new run (of sweep ``sweep_id``) and start it in the
    background.

    The device is claimed before the run is recorded, so a refused start (BusyError) leaves no
    record. ``job``: the sweep this run is a point of; its runs do not claim the device again.
    """
    check_config(config)
    claimed = job or jobs.claim("run", config.method)
    try:
        run_id, handle = _record_and_start(store, config, forward, sweep_id, claimed)
    except BaseException:
        if job is None:  # the run never started: free the device it claimed
            jobs.release(claimed)
        raise
    return run_id, handle


def _record_and_start(
    store: Store, config: TrainConfig, forward: Callback | None, sweep_id: int | None,
    job: jobs.Job,
) -> tuple[int, runner.RunHandle]:  # fmt: skip
    run_id = store.create_run(
        name=run_name(config), method=config.method, base_model=config.model,
        dataset=config.dataset_text(), config=config.to_dict(), sweep_id=sweep_id,
    )  # fmt: skip
    if not config.out:
        config = dataclasses.replace(config, out=str(store.checkpoint_dir(run_id)))
        store.update_run(run_id, config=config.to_dict())
    try:
        handle = runner.start(config, RunRecorder(store, run_id, forward), run_id=run_id, job=job)
    # A refused start leaves no record: a stopped sweep starts no further runs, and an output
    # folder holding folders PTune did not write is never trained into.
    except (BusyError, OutputFolderError):
        store.delete_run(run_id)
        raise
    return run_id, handle


RESUMABLE = ("stopped", "interrupted", "failed")
"""Statuses of a run that can continue from its checkpoint."""
RESTORED = ("status", "error", "started_at", "finished_at", "pid", "hostname")
"""What a resume that fails to start puts back as it was."""


def check_resumable(run: dict[str, Any]) -> None:
    """RunStateError unless the run has ended without finishing its training."""
    status, label = run["status"], say("run {id} ({name})", id=run["id"], name=run["name"])
    if status in ("queued", "running"):
        if status == "queued":
            raise RunStateError(
                say(
                    "{run} is still being set up; wait for it to end, or stop it, before "
                    "resuming it",
                    run=label,
                )
            )
        raise RunStateError(
            say(
                "{run} is still training; wait for it to end, or stop it, before resuming it",
                run=label,
            )
        )
    if status == "succeeded":
        raise RunStateError(
            say(
                "{run} succeeded: it trained to its end, so there is nothing to resume; start a "
                "new run (e.g. with more max_steps) to train further",
                run=label,
            )
        )
    if status not in RESUMABLE:
        raise RunStateError(
            say(
                "{run} is {status}; only {resumable} runs can resume",
                run=label,
                status=status,
                resumable=", ".join(RESUMABLE),
            )
        )


def resume_recorded(store: Store, run_id: int, forward: Callback | None = None) -> runner.RunHandle:
    """Continue a stopped, interrupted or failed run from its checkpoint, in the same record.

    Refused, with the record unchanged, for a run still queued or running (RunStateError), one
    that succeeded (RunStateError), one without a checkpoint (CheckpointMissingError or
    CheckpointError) and while another job holds the device (BusyError). Once accepted the run
    is ``queued`` in this process until training starts, so a second resume is refused and a
    process that dies meanwhile leaves it ``interrupted``.
    """
    run = store.get_run(run_id)
    check_resumable(run)
    checkpoint = store.checkpoint_path(run_id)
    config = TrainConfig.from_stored(run["config"])
    step = checkpoint_step(run, checkpoint)
    job = jobs.claim("run", config.method)  # before touching the record: a refusal changes nothing
    queued = False
    try:
        queued = store.queue_run(run_id, run["status"])
        if not queued:  # another process resumed or changed it since it was read
            check_resumable(store.get_run(run_id))
            raise RunStateError(
                say("run {id} changed while it was being resumed; try again", id=run_id)
            )
        store.delete_metrics_after(run_id, step)  # the steps after the checkpoint are redone
        return runner.start(
            config, RunRecorder(store, run_id, forward), resume_from=checkpoint, run_id=run_id,
            job=job,
        )  # fmt: skip
    except BaseException:
        jobs.release(job)
        if queued:  # put the record back as it was; the first error is the one to report
            with contextlib.suppress(Exception):
                store.update_run(run_id, **{key: run[key] for key in RESTORED})
        raise


def checkpoint_step(run: dict[str, Any], checkpoint: Path) -> int:
    """The step the checkpoint was written at; CheckpointError if it is no checkpoint."""
    state_file = checkpoint / "trainer_state.json"
    try:
        return int(json.loads(state_file.read_text(encoding="utf-8"))["loop"]["step"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(
            say(
                "run {id} ({name}) has no usable checkpoint to resume from: {file} is missing or "
                "unreadable ({kind}); start the run again instead",
                id=run["id"],
                name=run["name"],
                file=state_file,
                kind=type(exc).__name__,
            )  # fmt: skip
        ) from exc


def adapter_folder(store: Store, run_id: int) -> Path:
    """A folder holding the run's adapter: its own on disk, else rebuilt from the database.

    Rebuilt adapters go in the run's own folder, so deleting the run removes them too.
    """
    run = store.get_run(run_id)
    own = Path((run.get("metrics") or {}).get("adapter_path") or "")
    if own.name and (own / "ptune_adapter.json").is_file():
        return own
    rebuilt = store.checkpoint_dir(run_id) / "adapter"
    if not (rebuilt / "ptune_adapter.json").is_file():
        store.load_adapter(run_id, rebuilt)
    return rebuilt
