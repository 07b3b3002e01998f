"""Multi-task training: one shared prompt, one classifier head per task, mixed batches.

The tasks' label sets are laid end to end into one label space. The classifier slot of the
model holds a :class:`MultiTaskHead`, which sends each row to its task's head and fills the
other tasks' columns with -inf, so the ordinary cross-entropy of the training loop is exactly
each row's own task loss. Batches are drawn from all tasks together; evaluation is per task,
and the run's ``eval_accuracy`` (used for keeping the best weights and early stopping) is the
mean over tasks. At the end each task gets an ordinary adapter folder (the shared prompt and
that task's head) that predicts, and can be fine-tuned further (``init_from``), like any other.

Under several processes every head takes part in every training step of every process, also
one whose part of the batch has no row of its task: DDP reduces the gradients of all trainable
tensors at each step and would wait forever for a head left out.
"""

from __future__ import annotations

import bisect
import contextlib
import copy
import dataclasses
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.config import TrainConfig
from core.data.splits import DataBundle, TextSplit
from core.data.tokens import Tokens
from core.errors import ConfigError, DataError
from core.messages import say
from core.methods.base import classifier_head
from core.tasks import get_task
from core.training import artifacts
from core.training.evaluate import classification_metrics
from core.training.events import Callback
from core.training.inputs import load_run_data
from core.training.trainer import Trainer


class TaskRouter:
    """The task of each row of the next forward pass (an int for one task for all rows).

    Copies of the head (peft keeps a trainable copy of the classifier) share one router.
    """

    def __init__(self) -> None:
        self.ids: int | torch.Tensor = 0
        self.every_task = False
        """Run every task's head at each training step, on no rows when the batch has none
        of its task (several processes: DDP needs every trainable tensor in each step)."""

    def __deepcopy__(self, memo: dict) -> TaskRouter:
        return self


def fresh_head(head: nn.Module, num_labels: int, std: float) -> nn.Module:
    """A copy of ``head`` whose output layer predicts ``num_labels`` labels, freshly set up."""
    head = copy.deepcopy(head)
    if isinstance(head, nn.Linear):
        parent, name, last = None, "", head
    else:
        linears = [(n, m) for n, m in head.named_modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ConfigError(
                say("cannot find the output layer of {head}", head=type(head).__name__)
            )
        name, last = linears[-1]
        parent = head.get_submodule(name.rpartition(".")[0]) if "." in name else head
        name = name.rpartition(".")[2]
    # A decoder's ``score`` has no bias; the base it reloads on has none either. The new layer
    # takes the loaded head's dtype (the compute precision of a frozen base), so the model runs
    # as loaded until setup returns what trains to fp32.
    out = nn.Linear(last.in_features, num_labels, bias=last.bias is not None,
                    dtype=last.weight.dtype, device=last.weight.device)  # fmt: skip
    nn.init.normal_(out.weight, std=std)
    if out.bias is not None:
        nn.init.zeros_(out.bias)
    if parent is None:
        return out
    setattr(parent, name, out)
    return head


class MultiTaskHead(nn.Module):
    """Per-row task heads over one label space laid end to end (other tasks' columns -inf)."""

    def __init__(self, heads: list[nn.Module], sizes: list[int], router: TaskRouter) -> None:
        super().__init__()
        self.heads = nn.ModuleList(heads)
        self.sizes = list(sizes)
        self.offsets = [0, *itertools.accumulate(sizes)][:-1]
        self.router = router

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits of each row (``features``: batch, ..., width; a decoder's head reads every
        token's state and picks one afterwards)."""
        ids = self.router.ids
        rows = features.shape[0]
        if isinstance(ids, int):
            parts = {ids: torch.arange(rows, device=features.device)}
        else:
            ids = ids.to(features.device)
            parts = {t: (ids == t).nonzero().squeeze(1) for t in range(len(self.heads))}
        out: torch.Tensor | None = None
        for task, index in parts.items():
            if len(index) == 0 and not (self.router.every_task and torch.is_grad_enabled()):
                continue
            logits = self.heads[task](features[index])
            if out is None:
                out = logits.new_full((*features.shape[:-1], sum(self.sizes)), float("-inf"))
            start = self.offsets[task]
            out[index, ..., start : start + self.sizes[task]] = logits
        assert out is not None
        return out


def combine(bundles: dict[str, DataBundle]) -> tuple[DataBundle, list[int]]:
    """One dataset over the joint label space, and each training row's task index.

    Validation rows are interleaved task by task, so the capped evaluations during training
    see every task, not only the first.
    """
    offsets = [0, *itertools.accumulate(len(b.label_names) for b in bundles.values())]
    names = [f"{task}:{label}" for task, b in bundles.items() for label in b.label_names]

    def joined(splits: list[TextSplit], interleave: bool) -> TextSplit:
        rows = [
            [(text, label + offsets[t]) for text, label in zip(s.texts, s.labels, strict=True)]
            for t, s in enumerate(splits)
        ]
        if interleave:
            ordered = [r for group in itertools.zip_longest(*rows) for r in group if r]
        else:
            ordered = [r for group in rows for r in group]
        return TextSplit([r[0] for r in ordered], [r[1] for r in ordered])

    parts = list(bundles.values())
    tests = [b.test for b in parts if b.test is not None]
    bundle = DataBundle(
        train=joined([b.train for b in parts], interleave=False),
        validation=joined([b.validation for b in parts], interleave=True),
        test=joined(tests, interleave=True) if len(tests) == len(parts) else None,
        label_names=names,
        text_column="",
        label_column="",
        source=", ".join(f"{task}={b.source}" for task, b in bundles.items()),
        warnings=[f"{task}: {w}" for task, b in bundles.items() for w in b.warnings],
    )
    train_tasks = [t for t, b in enumerate(parts) for _ in range(len(b.train))]
    return bundle, train_tasks


class MultiTaskTrainer(Trainer):
    """The ordinary training loop over several datasets with one shared prompt."""

    def __init__(
        self,
        config: TrainConfig,
        callback: Callback | None = None,
        stop_event: threading.Event | None = None,
        resume_from: str | Path | None = None,
    ) -> None:
        super().__init__(config, callback, stop_event, resume_from)
        # the tasks, in the order of the settings (loading the data)
        self.bundles: dict[str, DataBundle] = {}
        self.task_names: list[str] = []
        self.train_tasks: list[int] = []  # the task index of each training row
        self.sizes: list[int] = []  # labels per task
        self.offsets: list[int] = []  # where each task's labels start in the joint label space
        self.router = TaskRouter()  # the task of the rows of the next forward pass

    def _load_data(self) -> DataBundle:
        self.bundles = {name: load_run_data(self._task_config(name)) for name in self.config.tasks}
        for name, part in self.bundles.items():
            if get_task(part.task).label_kind != "class":
                raise DataError(
                    say(
                        "a multi-task run trains tasks of one label per row; {name} has the "
                        "task {task} - train it on its own",
                        name=name,
                        task=part.task,
                    )
                )
        bundle, self.train_tasks = combine(self.bundles)
        self.task_names = list(self.bundles)
        self.sizes = [len(b.label_names) for b in self.bundles.values()]
        self.offsets = [0, *itertools.accumulate(self.sizes)]
        return bundle

    def _task_config(self, name: str) -> TrainConfig:
        """This run's settings as a single-task run on task ``name``'s dataset."""
        return dataclasses.replace(self.config, data=self.config.tasks[name], tasks={})

    def _base_labels(self) -> list[str]:
        return list(next(iter(self.bundles.values())).label_names)

    def _prepare_base(self, model: nn.Module) -> None:
        head = classifier_head(model)
        std = float(getattr(model.config, "initializer_range", 0.02))
        heads = [fresh_head(head, n, std) for n in self.sizes]
        for name in ("classifier", "score"):
            if getattr(model, name, None) is head:
                setattr(model, name, MultiTaskHead(heads, self.sizes, self.router))

    def setup(self) -> None:
        super().setup()
        self.router.every_task = self.accelerator.num_processes > 1

    def _step(self, indices: list[int], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.router.ids = torch.tensor([self.train_tasks[i] for i in indices])
        return super()._step(indices, batch)

    def _after_backward(self) -> None:
        """Under several processes, the heads of tasks absent from the whole batch took part
        with no rows: they get no gradient, as in one process, so the optimizer leaves them
        (a zero gradient would still move them, by momentum and weight decay). A task present
        in another process's part keeps its reduced gradient."""
        if not self.router.every_task:
            return
        present = {self.train_tasks[i] for i in self.batch_rows}
        for module in self._unwrapped().modules():
            if isinstance(module, MultiTaskHead):
                for task, head in enumerate(module.heads):
                    if task not in present:
                        for param in head.parameters():
                            param.grad = None

    def _task_of(self, label: int) -> int:
        return bisect.bisect_right(self.offsets, label) - 1

    def _evaluate(self, features: Tokens, labels: list[Any], prefix: str) -> dict[str, Any]:
        """Metrics per task (keys suffixed with the task name) and their mean over tasks."""
        tasks: list[tuple[int, list[int], torch.Tensor]] = []
        for task in range(len(self.task_names)):
            rows = [i for i, label in enumerate(labels) if self._task_of(label) == task]
            if rows:
                self.router.ids = task
                tasks.append((task, rows, self._logits(features.take(rows))))
        return self._computed_once(lambda: self._task_metrics(tasks, labels, prefix))

    def _task_metrics(
        self, tasks: list[tuple[int, list[int], torch.Tensor]], labels: list[int], prefix: str
    ) -> dict[str, Any]:
        """Each task's metrics of its rows' logits, and their means over the tasks."""
        metrics: dict[str, Any] = {}
        means: dict[str, list[float]] = {}
        for task, rows, logits in tasks:
            name = self.task_names[task]
            start, size = self.offsets[task], self.sizes[task]
            own = classification_metrics(
                logits[:, start : start + size], [labels[i] - start for i in rows], size, prefix
            )
            for key, value in own.items():
                metrics[f"{key}_{name}"] = value
                if isinstance(value, float):  # a score, not the confusion matrix
                    means.setdefault(key, []).append(value)
        metrics.update({key: sum(v) / len(v) for key, v in means.items()})
        return metrics

    @contextlib.contextmanager
    def _single_task(self, task: int) -> Iterator[None]:
        """The wrapped model as an ordinary classifier of one task (its head in the slot)."""
        model = self._unwrapped()
        slots = [
            (name, module)
            for name, module in model.named_modules()
            if isinstance(module, MultiTaskHead)
        ]
        try:
            for name, module in slots:
                parent, _, attr = name.rpartition(".")
                owner = model.get_submodule(parent) if parent else model
                _set_child(owner, attr, module.heads[task])
            yield
        finally:
            for name, module in slots:
                parent, _, attr = name.rpartition(".")
                owner = model.get_submodule(parent) if parent else model
                _set_child(owner, attr, module)

    def _release(self) -> None:
        self.bundles, self.train_tasks = {}, []  # each task's data, beside the combined bundle
        super()._release()

    def _save_adapters(self, model: nn.Module, metrics: dict[str, Any]) -> dict[str, Any]:
        """One ordinary adapter per task; the run's own adapter is the first task's."""
        tasks: dict[str, Any] = {}
        for task, name in enumerate(self.task_names):
            bundle = self.bundles[name]
            own = {
                k[: -len(name) - 1]: v
                for k, v in metrics.items()
                if k.endswith(f"_{name}") and not k.endswith("confusion_matrix_" + name)
            }
            folder = self.out / "adapters" / name
            size = 0
            if self.accelerator.is_main_process:
                with self._single_task(task):
                    size = artifacts.save_adapter(
                        folder,
                        model,
                        self._task_config(name),
                        list(bundle.label_names),
                        self.max_length,
                        self.pooling,
                        own,
                        method_options=self._trained_options(),
                    )
            tasks[name] = {
                **own,
                "data": self.config.tasks[name],
                "label_names": list(bundle.label_names),
                "train_rows": len(bundle.train),
                "validation_rows": len(bundle.validation),
                "adapter_path": str(folder),
                "adapter_bytes": size,
            }
        first = tasks[self.task_names[0]]
        return {
            "adapter_path": first["adapter_path"],
            "adapter_bytes": first["adapter_bytes"],
            "tasks": tasks,
        }


def _set_child(owner: nn.Module, name: str, module: nn.Module) -> None:
    if isinstance(owner, nn.ModuleDict):
        owner[name] = module
    else:
        setattr(owner, name, module)
