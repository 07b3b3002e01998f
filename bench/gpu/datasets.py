"""Datasets the parts derive from the check's data: validation with its labels turned round, and
two tasks for multi-task training."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from bench.gpu.context import Bench


def _bundle(bench: Bench) -> Any:
    from core.data.loading import load_data

    return load_data(bench.data, max_train_rows=bench.sizes.train_rows, seed=0)


def _write(path: Path, texts: list[str], labels: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels, strict=True))


def turned_round(bench: Bench) -> Path:
    """The data with every validation label replaced by the next label name: the better the
    model learns the training labels, the worse it scores on validation, so the best
    evaluation comes early and a run that keeps the best weights restores them at its end."""
    bundle = _bundle(bench)
    names = list(bundle.label_names)
    folder = bench.work / "data-turned"
    _write(folder / "train.csv", bundle.train.texts, [names[i] for i in bundle.train.labels])
    turned = [names[(i + 1) % len(names)] for i in bundle.validation.labels]
    _write(folder / "dev.csv", bundle.validation.texts, turned)
    return folder


def two_tasks(bench: Bench) -> dict[str, str]:
    """Two tasks made of alternate training rows of the data, each with its validation rows."""
    bundle = _bundle(bench)
    names = list(bundle.label_names)
    tasks = {}
    for index, task in enumerate(("first", "second")):
        folder = bench.work / f"data-{task}"
        rows = range(index, len(bundle.train), 2)
        _write(folder / "train.csv", [bundle.train.texts[i] for i in rows],
               [names[bundle.train.labels[i]] for i in rows])  # fmt: skip
        _write(folder / "dev.csv", bundle.validation.texts,
               [names[i] for i in bundle.validation.labels])  # fmt: skip
        tasks[task] = str(folder)
    return tasks
