"""What a run, and a group of runs, reports while it trains: one typed record per event kind.

The trainer and the group handles pass these to a callback (``on_event``) as they happen,
usually from a background thread; the store's recorder, the command line's progress bar and the
app read their fields by name. ``type`` names the kind in one word, as logs and the command
line print it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

STATUSES = ("succeeded", "failed", "stopped")
"""How a run can end."""


@dataclass(frozen=True)
class RunStarted:
    """The run is set up and about to take its first step."""

    type: ClassVar[str] = "start"
    method: str
    total_steps: int
    trainable_params: int
    total_params: int
    label_names: list[str]
    train_rows: int
    validation_rows: int
    max_length: int
    precision: str
    device: str
    out: str
    mean_tokens: float = 0.0
    """Mean tokens of a training row, after truncation (0 when there are none)."""
    data: dict[str, Any] = field(default_factory=dict)
    """The dataset's summary (rows, labels, where it came from)."""
    warnings: list[str] = field(default_factory=list)
    """Sentences for the person running it (e.g. the model does not read the data's language)."""


@dataclass(frozen=True)
class TrainLogged:
    """The mean training loss since the last log line, and how far the run is."""

    type: ClassVar[str] = "train"
    step: int
    epoch: float
    loss: float
    lr: float
    samples_per_second: float
    eta_seconds: float
    progress: float
    total_steps: int

    SERIES: ClassVar[tuple[str, ...]] = (
        "loss", "lr", "samples_per_second", "eta_seconds", "progress", "total_steps",
    )  # fmt: skip
    """The fields recorded as metric series."""


@dataclass(frozen=True)
class PromptGrown:
    """The prompt grew to its next stage's length."""

    type: ClassVar[str] = "grow"
    step: int
    epoch: float
    prompt_length: int


@dataclass(frozen=True)
class Evaluated:
    """An evaluation: ``metrics`` by name (``eval_accuracy``, ``eval_f1``, ``eval_loss``, and
    per task or for the test split where there are any). ``final`` for the run's last one."""

    type: ClassVar[str] = "eval"
    step: int
    epoch: float
    metrics: dict[str, float]
    final: bool = False


@dataclass(frozen=True)
class CheckpointWritten:
    """A resumable checkpoint was written to ``path``."""

    type: ClassVar[str] = "checkpoint"
    step: int
    path: str


@dataclass(frozen=True)
class RunEnded:
    """The run ended; ``summary`` is what the trainer returns (status, error, metrics, paths)."""

    type: ClassVar[str] = "end"
    summary: dict[str, Any]

    @property
    def status(self) -> str:
        return str(self.summary["status"])

    @property
    def error(self) -> str | None:
        return self.summary.get("error")


@dataclass(frozen=True)
class GroupStarted:
    """A group of runs (a sweep, a few-shot experiment) started; ``done`` of its ``total``
    points already have a finished run (a resumed experiment)."""

    kind: str
    group_id: int
    total: int
    done: int = 0

    @property
    def type(self) -> str:
        return f"{self.kind}_start"


@dataclass(frozen=True)
class PointFinished:
    """One run of a group ended; ``result`` is its point, status and scores."""

    kind: str
    group_id: int
    index: int
    total: int
    done: int
    result: dict[str, Any]

    @property
    def type(self) -> str:
        return f"{self.kind}_point"


@dataclass(frozen=True)
class GroupEnded:
    """A group of runs ended; ``outcome`` is its recorded results."""

    kind: str
    group_id: int
    outcome: dict[str, Any]

    @property
    def type(self) -> str:
        return f"{self.kind}_end"


RunEvent = RunStarted | TrainLogged | PromptGrown | Evaluated | CheckpointWritten | RunEnded
GroupEvent = GroupStarted | PointFinished | GroupEnded
Event = RunEvent | GroupEvent
Callback = Callable[[Event], None]
"""Receives every event; it runs in the thread that trains, so it must return quickly."""
