"""A run's record in the store: its events written as they happen, whether it can resume,
and where its adapter is.

Status changes are written at once and metrics at every logging step (one transaction per
event), so a killed process loses at most the steps since its last log line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.config import TrainConfig
from core.errors import CheckpointError, RunStateError
from core.messages import say
from core.training.events import (
    Callback,
    Evaluated,
    Event,
    PromptGrown,
    RunEnded,
    RunStarted,
    TrainLogged,
)
from storage.errors import AdapterNotFoundError
from storage.store import Store


class RunRecorder:
    """Engine callback that writes a run's events into the store, then passes them on."""

    def __init__(self, store: Store, run_id: int, on_event: Callback | None = None) -> None:
        self.store = store
        self.run_id = run_id
        self.on_event = on_event

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, TrainLogged):
            rows = [_row(event.step, event.epoch, "train", n, getattr(event, n))
                    for n in TrainLogged.SERIES]  # fmt: skip
            self.store.append_metrics(self.run_id, rows)
        elif isinstance(event, PromptGrown):
            row = _row(event.step, event.epoch, "train", "prompt_length", event.prompt_length)
            self.store.append_metrics(self.run_id, [row])
        elif isinstance(event, Evaluated):
            split = "final" if event.final else "eval"
            rows = [
                _row(event.step, event.epoch, split, name, value)
                for name, value in event.metrics.items()
                if isinstance(value, (int, float))
            ]
            self.store.append_metrics(self.run_id, rows)
        elif isinstance(event, RunEnded):
            self._ended(event.summary)
        if self.on_event is not None:
            self.on_event(event)

    def _started(self, event: RunStarted) -> None:
        self.store.start_run(self.run_id)
        self.store.update_run(
            self.run_id,
            label_names=event.label_names,
            trainable_params=event.trainable_params,
            total_params=event.total_params,
            checkpoint_path=str(Path(event.out) / "checkpoint"),
        )

    def _ended(self, summary: dict[str, Any]) -> None:
        adapter = summary.get("adapter_path")
        if adapter and Path(adapter).is_dir():
            checkpoint = summary.get("checkpoint_path")
            self.store.save_adapter(
                self.run_id, Path(adapter), kind=summary["method"],
                checkpoint_path=Path(checkpoint) if checkpoint else None,
            )  # fmt: skip
        final = {k: v for k, v in summary.items() if k != "error"}
        self.store.finish_run(
            self.run_id, summary["status"], error=summary.get("error"), metrics=final
        )


def _row(step: int, epoch: float | None, split: str, name: str, value: Any) -> dict[str, Any]:
    return {"step": step, "epoch": epoch, "split": split, "name": name, "value": float(value)}


def default_run_name(config: TrainConfig) -> str:
    """The run's name: the one it was given, else its method and dataset (or tasks)."""
    if config.tasks:
        return config.name or f"{config.method} on {' + '.join(config.tasks)}"
    return config.name or f"{config.method} on {Path(str(config.data)).name or config.data}"


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

    Rebuilt adapters go in the run's own folder, so deleting the run removes them too. A run
    that has no adapter because it has not finished training yet is a RunStateError saying so.
    """
    run = store.get_run(run_id)
    own = Path((run.get("metrics") or {}).get("adapter_path") or "")
    if own.name and (own / "ptune_adapter.json").is_file():
        return own
    rebuilt = store.checkpoint_dir(run_id) / "adapter"
    if not (rebuilt / "ptune_adapter.json").is_file():
        try:
            store.load_adapter(run_id, rebuilt)
        except AdapterNotFoundError:
            _require_trained(run)
            raise
    return rebuilt


def _require_trained(run: dict[str, Any]) -> None:
    """RunStateError when the run has no adapter yet because it is still training or waiting."""
    label = say("run {id} ({name})", id=run["id"], name=run["name"])
    if run["status"] == "waiting":
        raise RunStateError(
            say(
                "{run} is waiting in the queue to train; it has an adapter once it has trained",
                run=label,
            )
        )
    if run["status"] in ("queued", "running"):
        raise RunStateError(
            say(
                "{run} is still training; its adapter is saved when it ends. Wait for it to "
                "finish, or stop it (a stopped run saves its adapter too)",
                run=label,
            )
        )
