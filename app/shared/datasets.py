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
from core.data.files import not_conll
from core.data.label_sets import label_set, names_file, read_names
from core.data.language import SAMPLE_ROWS
from core.data.loading import columns_of, folder_files, task_of_columns
from core.data.reading import SUPPORTED_EXTENSIONS
from core.data.splits import DataBundle
from core.errors import DataError
from core.messages import say
from core.tasks import (
    AUTO,
    Detection,
    get_task,
    takes_pairs,
)
from core.tasks.multi_label import TASK as MULTI_LABEL_TASK
from core.tasks.multi_label import is_list
from core.tasks.pair import TASK as PAIR_TASK
from core.tasks.tagging import training_file
from core.training.inputs import load_run_data

PREVIEW_ROWS = 8
MULTI_LABEL = MULTI_LABEL_TASK.name
PAIR_INPUTS = PAIR_TASK.inputs
"""The inputs of a row of two texts: a chosen task that cannot read them reads one text."""


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
    label_columns: list[str] = field(default_factory=list)
    """Several labels as one 0/1 column per label: those columns (``label_column`` is None,
    training joins them; ``label_counts`` counts the rows of each)."""
    score_range: tuple[float, float] | None = None
    """A score (regression): the lowest and highest score of the label column."""


def train_file(source: str | Path) -> Path:
    """The file holding the training rows: the file itself or a folder's train file (its only
    data file when none is named train; :func:`core.data.loading.folder_files`).

    Raises:
        DataError: no such file or folder, no training file, or a file named like a CoNLL file
            only (``.txt``) whose lines are not tagged words, saying what such a file needs.
    """
    path = Path(source).expanduser()
    if path.is_file():
        _refuse_not_conll(path)
        return path
    if path.is_dir():
        try:
            return folder_files(path)[0]["train"]
        except DataError:
            tagged = training_file(path)
            if tagged is not None and not _has_tables(path):  # CoNLL names only (train.txt)
                _refuse_not_conll(tagged)
            raise
    raise DataError(say("file or folder not found: {path}", path=path))


def _has_tables(folder: Path) -> bool:
    return any(p.suffix.lower() in SUPPORTED_EXTENSIONS for p in folder.iterdir() if p.is_file())


def _refuse_not_conll(path: Path) -> None:
    refusal = not_conll(path)
    if refusal is not None:
        raise DataError(refusal)


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
    if task and task != AUTO and not takes_pairs(task, PAIR_INPUTS):
        text_pair_column = None  # a task of one text reads no second one (the picker clears)
    given = [c if c in columns else None for c in (text_column, label_column, text_pair_column)]
    found, text_column, label_column, binary = _detected(df, task or AUTO, *given)
    kind = get_task(found.task).label_kind if found is not None else "class"
    counts: dict[str, int] = {}
    if binary:
        counts = {name: int(_ones(df[name])) for name in sorted(binary)}
    elif label_column and kind == "set":
        counts = set_counts(df[label_column].tolist(), source)
    elif label_column and kind != "number":
        values = df[label_column].astype(str).str.strip()
        counts = {str(k): int(v) for k, v in values.value_counts().sort_index().items()}
    sample: list[str] = []
    if text_column:
        texts = df[text_column].dropna().astype(str).head(SAMPLE_ROWS * 2)
        sample = [text for text in texts if text.strip()][:SAMPLE_ROWS]
    return Preview(
        _shown(df.head(PREVIEW_ROWS)), columns, text_column, label_column, counts, len(df),
        sample, found.task if found else None, found.reason if found else "",
        found.text_pair_column if found else None, label_columns=binary,
        score_range=_range(df, label_column) if kind == "number" else None,
    )  # fmt: skip


def _detected(
    df: pd.DataFrame, task: str, text_column: str | None, label_column: str | None,
    text_pair_column: str | None,
) -> tuple[Detection | None, str | None, str | None, list[str]]:  # fmt: skip
    """The task and the text and label columns as training reads them
    (:func:`core.data.loading.task_of_columns` and :func:`~core.data.loading.columns_of`),
    and the 0/1 columns when they hold the labels; what cannot be told is None (the person
    picks it)."""
    try:
        found, binary = task_of_columns(df, task, text_column, label_column, text_pair_column)
    except DataError:
        return None, text_column, label_column, []
    text_column = found.text_column or text_column
    with contextlib.suppress(DataError):  # unguessable columns: the person picks them
        found, text_column, label_column = columns_of(
            df, found, task, text_column, label_column, binary
        )
    return found, text_column, label_column, binary


def _ones(values: pd.Series) -> int:
    """Rows whose 0/1 cell is 1."""
    return int(values.astype(str).str.strip().str.lower().isin(["1", "1.0", "true"]).sum())


def _range(df: pd.DataFrame, column: str | None) -> tuple[float, float] | None:
    """The lowest and highest number of a score column (None: no column, or no number)."""
    if not column:
        return None
    numbers = pd.to_numeric(df[column], errors="coerce").dropna()
    return (float(numbers.min()), float(numbers.max())) if len(numbers) else None


def _shown(head: pd.DataFrame) -> pd.DataFrame:
    """The first rows as the table shows them: a cell holding a list of labels (JSON lines,
    Parquet) as its labels joined by commas."""
    shown = head.copy()
    for column in shown.columns:
        if shown[column].map(is_list).any():
            shown[column] = [
                ", ".join(map(str, value)) if is_list(value) else value for value in shown[column]
            ]
    return shown


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
