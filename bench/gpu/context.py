"""What the parts of the GPU check share: the sizes, the settings of a run, and each outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PASSED, FAILED, SKIPPED, ERROR = "passed", "failed", "skipped", "error"


@dataclass(frozen=True)
class Sizes:
    """How long each part trains, on a GPU (:data:`GPU`) or in a CPU trial (:data:`TRIAL`)."""

    batch_size: int
    train_rows: int  # each run's max_train_rows: enough for its steps, so tokenizing stays short
    warmup_steps: int  # throughput: the first steps, left out of the measured speed
    measured_steps: int  # throughput: the steps measured after them (a multiple of warmup_steps)
    resume_steps: int  # resume: the whole run, stopped at the checkpoint halfway
    eval_every: int  # resume: evaluations (and checkpoints) this often
    growth: str  # growth: the prompt's stages
    short_steps: int  # growth, multi-task, overflow: steps of each run
    sync_steps: int  # host syncs: steps measured
    sync_log_every: int
    latency_calls: int  # Try it: calls timed, idle and beside a training run
    run_minutes: float  # every run's time budget: a guard, never reached at these sizes
    families: tuple[str, ...] = ()  # the encoder families compared (empty: every one)


GPU = Sizes(batch_size=32, train_rows=8000, warmup_steps=20, measured_steps=300,
            resume_steps=40, eval_every=5, growth="4,8,16", short_steps=30, sync_steps=40,
            sync_log_every=10, latency_calls=30, run_minutes=1.5)  # fmt: skip
TRIAL = Sizes(batch_size=8, train_rows=4000, warmup_steps=2, measured_steps=4, resume_steps=8,
              eval_every=2, growth="2,4", short_steps=6, sync_steps=4, sync_log_every=2,
              latency_calls=5, run_minutes=1.0,
              # one family per prefix route: the attention interface, ALBERT's shared layers,
              # a family with attention of its own
              families=("bert", "albert", "deberta-v2"))  # fmt: skip


class Skip(Exception):
    """A part, or a piece of one, that cannot run here; the reason is the message."""


@dataclass
class Outcome:
    """What a part found: its status, every figure (for the JSON), and its Markdown lines."""

    status: str
    figures: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class Bench:
    """The check in progress: where and what it trains, and what earlier parts left behind."""

    model: str
    data: str
    work: Path  # a temporary folder for runs and derived datasets
    sizes: Sizes
    device: str  # "cuda" or "cpu"
    methods: list[str] = field(default_factory=list)  # the methods whose throughput is measured
    site: Path | None = None  # the prepared packages the GPU machine lacks (for subprocesses)
    deadline: float = float("inf")  # time.monotonic() after which no further part starts
    runs: list[dict[str, Any]] = field(default_factory=list)
    """Every training run so far: its part, method, precision, status, memory and placement."""
    adapters: list[str] = field(default_factory=list)
    """Adapter folders the throughput runs saved (the predictor's part loads them)."""
    memory: dict[str, Any] = field(default_factory=dict)
    """Device memory before and after the throughput runs (part 8)."""

    @property
    def cuda(self) -> bool:
        return self.device == "cuda"

    def need_cuda(self) -> None:
        """Skip the calling part (or piece) off a GPU."""
        if not self.cuda:
            raise Skip("no CUDA")

    def check_time(self) -> None:
        """Skip what is left once the check's time limit has passed."""
        if time.monotonic() > self.deadline:
            raise Skip("the check's time limit was reached")

    def config(self, name: str, **values: Any) -> Any:
        """A run's settings: the check's model, data and sizes, bf16, writing to ``name``."""
        from core.config import TrainConfig

        settings: dict[str, Any] = dict(
            data=self.data, model=self.model, batch_size=self.sizes.batch_size,
            max_train_rows=self.sizes.train_rows, precision="bf16", seed=0,
            time_budget_minutes=self.sizes.run_minutes, out=str(self.work / name),
        )  # fmt: skip
        settings.update(values)
        return TrainConfig(**settings)
