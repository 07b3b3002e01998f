"""Dataset preview for the Train tab: first rows, columns (guessed) and label counts (tagged
words: :mod:`app.shared.tagged_preview`)."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from app.shared import confine
from app.shared.state import AppState
from app.shared.tagged_preview import tagged_summary
from core.data.columns import guess_columns
from core.data.label_sets import label_set, names_file, read_names
from core.data.language import SAMPLE_ROWS
from core.data.loading import folder_files
from core.data.scores import score_columns
from core.data.splits import DataBundle
from core.errors import DataError
from core.messages import say
from core.tasks import AUTO, detect_by_labels, detect_task, get_task
from core.training.inputs import load_run_data

PREVIEW_ROWS = 8


@dataclass
class Preview:
    """What the Train tab shows about a dataset before training."""

    head: pd.DataFrame
    columns: list[str]
    text_column: str | None
    label_column: str | None
    label_counts: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    sample: list[str] = field(default_factory=list)
    """The first texts of the text column (for the language check)."""
    task: str | None = None
    """The task the data makes (:func:`core.tasks.detect_task`), None when it cannot tell."""
    task_reason: str = ""
    text_pair_column: str | None = None
    tags: list[str] = field(default_factory=list)
    """Tagged words only: the tag names (``label_counts`` then counts entities per type)."""


def train_file(source: str | Path) -> Path:
    """The file holding the training rows: the file itself or a folder's train file (its only
    data file when none is named train; :func:`core.data.loading.folder_files`)."""
    path = Path(source).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        return folder_files(path)[0]["train"]
    raise DataError(say("file or folder not found: {path}", path=path))


def _read(state: AppState, path: Path) -> pd.DataFrame:
    from core.data.reading import read_table

    key = f"table:{path}:{path.stat().st_mtime_ns}"
    # One version per file: a re-saved file's new table replaces the old one.
    return state.cache.get_or_load(key, lambda: read_table(path), group=f"table:{path}")


def preview(
    state: AppState, source: str, text_column: str | None = None, label_column: str | None = None,
    task: str | None = None, text_pair_column: str | None = None,
) -> Preview:  # fmt: skip
    """First rows, columns and label counts of the dataset's training file.

    Columns not given are guessed as training would guess them, and the task told from them
    (``task``: the one chosen, default auto); when the guess fails the preview still shows the
    rows, with no columns chosen. Only datasets the app serves are
    read (:mod:`app.shared.confine`).
    """
    confine.require_data(state, source)
    tagged = tagged_summary(source, task)
    if tagged is not None:  # tagged words: sentences, tags and entity types
        head, types, rows = tagged["head"], tagged["types"], tagged["sentences"]
        return Preview(
            head, [], None, None, types, rows, tagged["sample"], tagged["task"],
            tagged["reason"], tags=tagged["tags"],
        )  # fmt: skip
    df = _read(state, train_file(source))
    columns = [str(c) for c in df.columns]
    text_column = text_column if text_column in columns else None
    label_column = label_column if label_column in columns else None
    text_pair_column = text_pair_column if text_pair_column in columns else None
    found = None
    with contextlib.suppress(DataError):  # unguessable columns: the person picks them
        found = detect_task(columns, task or AUTO, text_column, text_pair_column)
        pair = found.text_pair_column
        candidates = df if pair is None else df.drop(columns=[pair])
        text_column = found.text_column or text_column
        guess = score_columns if get_task(found.task).label_kind == "number" else guess_columns
        text_column, label_column = guess(candidates, text_column, label_column)
        if (task or AUTO) == AUTO:
            found = detect_by_labels(found, df[label_column].head(1000).tolist(), label_column)
    counts: dict[str, int] = {}
    if label_column and found is not None and found.task == "multi_label":
        counts = set_counts(df[label_column].tolist(), source)
    elif label_column and (found is None or get_task(found.task).label_kind != "number"):
        values = df[label_column].astype(str).str.strip()
        counts = {str(k): int(v) for k, v in values.value_counts().sort_index().items()}
    sample: list[str] = []
    if text_column:
        texts = df[text_column].dropna().astype(str).head(SAMPLE_ROWS * 2)
        sample = [text for text in texts if text.strip()][:SAMPLE_ROWS]
    return Preview(
        df.head(PREVIEW_ROWS), columns, text_column, label_column, counts, len(df), sample,
        found.task if found else None, found.reason if found else "",
        found.text_pair_column if found else None,
    )  # fmt: skip


def set_counts(values: list[Any], source: str) -> dict[str, int]:
    """Rows per label of a label column holding several labels per row (ids named by the
    dataset folder's names file, :mod:`core.data.label_sets`)."""
    path = names_file(source)
    names = read_names(path) if path is not None else []
    counts: Counter[str] = Counter()
    for value in values:
        for key in label_set(value) or ():
            counts[names[int(key)] if key.isdigit() and int(key) < len(names) else key] += 1
    return dict(sorted(counts.items()))


def load_bundle(state: AppState, config: Any) -> DataBundle:
    """The dataset as training will load it (cached per file version and column choice);
    only datasets the app serves are read (:mod:`app.shared.confine`)."""
    confine.require_data(state, config.data)
    path = Path(str(config.data)).expanduser()
    stamp = path.stat().st_mtime_ns if path.exists() else 0
    key = (
        f"bundle:{config.data}:{stamp}:{config.text_column}:{config.label_column}:"
        f"{config.task}:{config.text_pair_column}:"
        f"{config.validation_fraction}:{config.seed}:{config.max_train_rows}:"
        f"{config.shots_per_class}:{config.eval_sample_rows}"
    )
    return state.cache.get_or_load(
        key, lambda: load_run_data(config), group=f"bundle:{config.data}"
    )
