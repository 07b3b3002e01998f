"""Train/validation/test splits: cleaning rows, checking sizes, holding out and sampling."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.config import MIN_PER_CLASS, MIN_TRAIN_ROWS
from core.data.columns import COLUMN_HINT, is_missing, label_key
from core.errors import DataError
from core.messages import Message, say

SPLIT_STEMS: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "validation": ("dev", "validation", "valid", "val"),
    "test": ("test-labeled", "test_labeled", "test-labelled", "test_labelled", "test"),
}
MIN_VALIDATION_ROWS = 2


@dataclass(frozen=True)
class TextSplit:
    """Texts with their label ids (indices into :attr:`DataBundle.label_names`); a pair task's
    texts are ``(text, text_pair)`` tuples, a multi-label task's labels tuples of label ids."""

    texts: list[Any]
    labels: list[Any]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class DataBundle:
    """Everything the trainer needs from a dataset, plus notes for the person running it."""

    train: TextSplit
    validation: TextSplit
    test: TextSplit | None
    label_names: list[str]
    text_column: str
    label_column: str
    source: str
    warnings: list[str] = field(default_factory=list)
    task: str = "single_label"
    task_reason: str = ""
    text_pair_column: str | None = None

    def digest(self, split: TextSplit) -> str:
        """A fingerprint of ``split``'s rows (:func:`split_digest`)."""
        return split_digest(split, self.label_names)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description: columns, labels, rows and label counts per split."""
        splits = {"train": self.train, "validation": self.validation, "test": self.test}
        return {
            "source": self.source,
            "text_column": self.text_column,
            "label_column": self.label_column,
            "task": self.task,
            "task_reason": self.task_reason,
            "text_pair_column": self.text_pair_column,
            "label_names": list(self.label_names),
            "splits": {
                name: {
                    "rows": len(split),
                    "label_counts": split_label_counts(split, self.label_names),
                }
                for name, split in splits.items()
                if split is not None
            },
            "warnings": list(self.warnings),
        }


def members(label: Any) -> tuple[int, ...]:
    """The label ids of one row's label: itself for a class, the set for several labels."""
    return tuple(label) if isinstance(label, (tuple, list)) else (label,)


def strata(labels: Sequence[Any]) -> list[int] | None:
    """What a stratified split or sample keeps in proportion: the class of each row; None for
    rows with several labels or a score (a plain random draw)."""
    if any(isinstance(label, (tuple, list, float)) for label in labels):
        return None
    return list(labels)


def split_label_counts(split: TextSplit, label_names: Sequence[str]) -> dict[str, int]:
    """Rows per label name (zero for labels absent from ``split``), in label-id order; rows
    with a score count under the score's one name."""
    if any(isinstance(label, float) for label in split.labels):
        return {label_names[0]: len(split)}
    counts = Counter(i for label in split.labels for i in members(label))
    return {name: counts.get(i, 0) for i, name in enumerate(label_names)}


def row_count(n: int) -> Message:
    """``"1 row"`` / ``"1,234 rows"`` for messages."""
    return say("1 row") if n == 1 else say("{n:,} rows", n=n)


def _stripped(df: pd.DataFrame, column: str) -> list[str]:
    return ["" if is_missing(v) else str(v).strip() for v in df[column].tolist()]


def clean_rows(
    df: pd.DataFrame, split: str, text_col: str, label_col: str, notes: list[str],
    pair_col: str | None = None, key: Callable[[Any], Any] = label_key,
) -> tuple[list[Any], list[Any]]:  # fmt: skip
    """Stripped texts and label keys (``key`` of each cell, None: no label), dropping rows with
    empty text or no label; with ``pair_col``, ``(text, text_pair)`` tuples, dropping rows where
    either text is empty."""
    texts: list[Any] = _stripped(df, text_col)
    if pair_col is not None:
        pairs = zip(texts, _stripped(df, pair_col), strict=True)
        texts = [(a, b) if a and b else "" for a, b in pairs]
    keys = [key(v) for v in df[label_col].tolist()]
    empty = sum(1 for t in texts if not t)
    unlabelled = sum(1 for t, k in zip(texts, keys, strict=True) if t and k is None)
    if empty + unlabelled > len(texts) / 2:
        raise DataError(
            say(
                "{bad:,} of {rows:,} rows in {split} have empty text in '{text_col}' or no label "
                "in '{label_col}' - probably the wrong column; {hint}",
                bad=empty + unlabelled,
                rows=len(texts),
                split=split,
                text_col=text_col,
                label_col=label_col,
                hint=COLUMN_HINT,
            )  # fmt: skip
        )
    if empty:
        notes.append(
            say("dropped {rows} with empty text from {split}", rows=row_count(empty), split=split)
        )
    if unlabelled:
        notes.append(
            say(
                "dropped {rows} with a missing label from {split}",
                rows=row_count(unlabelled),
                split=split,
            )
        )
    kept = [(t, k) for t, k in zip(texts, keys, strict=True) if t and k is not None]
    return [t for t, _ in kept], [k for _, k in kept]


def class_ids(keys: list[Any], names: list[str], split: str) -> list[Any]:
    """The label id of each row's label key; DataError for a label not seen in train."""
    unseen = sorted(set(keys) - set(names))
    if unseen:
        raise DataError(
            say(
                "the {split} split has labels not seen in train: {unseen} (train: {names})",
                split=split,
                unseen=unseen,
                names=names,
            )
        )
    index = {name: i for i, name in enumerate(names)}
    return [index[k] for k in keys]


def extra_split(
    df: pd.DataFrame | None, split: str, cols: tuple[str, str], names: list[str], notes: list[str],
    pair_col: str | None = None, key: Callable[[Any], Any] = label_key,
    ids: Callable[[list[Any], list[str], str], list[Any]] = class_ids,
) -> TextSplit | None:  # fmt: skip
    """Validation or test split; an unlabelled test file gives None and a note. ``key`` reads
    a label cell and ``ids`` makes the keys label ids (:func:`class_ids`)."""
    if df is None:
        return None
    needed = [*cols, pair_col] if pair_col is not None else list(cols)
    missing = [c for c in needed if c not in df.columns]
    if not missing and split == "test" and all(key(v) is None for v in df[cols[1]]):
        missing = [cols[1]]
    if missing:
        columns = ", ".join(repr(str(c)) for c in df.columns)
        if split != "test":
            raise DataError(
                say(
                    "the {split} split has no column '{column}' (columns: {columns})",
                    split=split,
                    column=missing[0],
                    columns=columns,
                )  # fmt: skip
            )
        notes.append(
            say(
                "the test split has no labels in column '{column}' (columns: {columns}); "
                "it is treated as unlabelled and not evaluated",
                column=missing[0],
                columns=columns,
            )  # fmt: skip
        )
        return None
    texts, keys = clean_rows(df, split, *cols, notes, pair_col, key)
    return TextSplit(texts, ids(keys, names, split))


def check_train(train: TextSplit, names: list[str], capped: bool = False) -> None:
    """Refuse a training split too small to train and hold out from (``capped``: made so
    small by max_train_rows, which the message then says to raise)."""
    counts = split_label_counts(train, names)
    rare = {name: n for name, n in counts.items() if n < MIN_PER_CLASS}
    if len(train) < MIN_TRAIN_ROWS or rare:
        sizes = {"rows": row_count(len(train)), "least": MIN_TRAIN_ROWS, "each": MIN_PER_CLASS}
        if rare:
            message = say(
                "the training data is too small: {rows}; too few examples of {rare}. At least "
                "{least} rows and {each} examples per class are needed",
                rare=rare, **sizes,
            )  # fmt: skip
        else:
            message = say(
                "the training data is too small: {rows}. At least {least} rows and {each} "
                "examples per class are needed",
                **sizes,
            )
        if capped:
            message = say("{problem} - raise max_train_rows", problem=message)
        raise DataError(message)


def overlap_notes(train: TextSplit, others: dict[str, TextSplit | None]) -> list[Message]:
    """Warn when evaluation texts also occur in train (their scores would be inflated)."""
    seen = set(train.texts)
    notes: list[Message] = []
    for name, split in others.items():
        shared = sum(text in seen for text in split.texts) if split is not None else 0
        if split is not None and shared:
            notes.append(
                say(
                    "{shared:,} of {rows:,} {split} texts also occur in train",
                    shared=shared,
                    rows=len(split),
                    split=name,
                )  # fmt: skip
            )
    return notes


def _take(split: TextSplit, indices: Sequence[int]) -> TextSplit:
    return TextSplit([split.texts[i] for i in indices], [split.labels[i] for i in indices])


def split_validation(
    train: TextSplit, fraction: float, seed: int, n_classes: int
) -> tuple[TextSplit, TextSplit]:
    """Hold out a stratified ``fraction`` of train (at least one row per class) as validation."""
    from sklearn.model_selection import train_test_split

    n = len(train)
    n_val = max(math.ceil(n * fraction), n_classes, MIN_VALIDATION_ROWS)
    if n - n_val < n_classes:
        raise DataError(
            say(
                "validation_fraction {fraction} leaves too few training rows ({rows})",
                fraction=fraction,
                rows=n - n_val,
            )
        )
    train_idx, val_idx = train_test_split(
        np.arange(n), test_size=n_val, stratify=strata(train.labels), random_state=seed
    )
    return _take(train, train_idx.tolist()), _take(train, val_idx.tolist())


def stratified_sample(split: TextSplit, n: int, seed: int) -> TextSplit:
    """Stratified sample of ``n`` rows: per-class quotas by largest remainder, then shuffled
    (rows with several labels: a plain seeded random sample)."""
    by_class = strata(split.labels)
    if by_class is None:
        return _take(split, np.random.default_rng(seed).permutation(len(split))[:n].tolist())
    labels = np.asarray(by_class)
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / counts.sum()
    alloc = np.floor(quota).astype(int)
    alloc[np.argsort(alloc - quota, kind="stable")[: n - alloc.sum()]] += 1
    rng = np.random.default_rng(seed)
    picks = [
        rng.choice(np.flatnonzero(labels == c), k, replace=False)
        for c, k in zip(classes, alloc, strict=True)
    ]
    return _take(split, rng.permutation(np.concatenate(picks)).tolist())


def per_class_sample(
    split: TextSplit, per_class: int, seed: int, names: Sequence[str]
) -> TextSplit:
    """``per_class`` rows of every class, drawn with ``seed``; nested across sizes.

    Each class's rows are put in one seeded random order and the first ``per_class`` are taken,
    so with the same seed the 8-example sample is part of the 16-example one: a learning curve
    then measures more data, not other data. With several labels per row, ``per_class`` rows
    carrying each label are taken (a row taken for one label counts for all its labels).
    DataError names a class with too few rows.
    """
    by_class = strata(split.labels)
    if any(isinstance(label, float) for label in split.labels):
        return _first_rows(split, per_class, seed)
    if by_class is None:
        return _per_label_sample(split, per_class, seed, names)
    labels = np.asarray(by_class)
    rng = np.random.default_rng(seed)
    picks = []
    for label, name in enumerate(names):
        rows = np.flatnonzero(labels == label)
        if len(rows) < per_class:
            raise _too_few(name, len(rows), per_class)
        picks.append(rng.permutation(rows)[:per_class])
    order = np.random.default_rng([seed, per_class]).permutation(np.concatenate(picks))
    return _take(split, order.tolist())


def _too_few(name: str, rows: int, per_class: int) -> DataError:
    return DataError(
        say(
            "class {name!r} has {rows:,} training rows, fewer than shots_per_class="
            "{per_class}; lower shots_per_class to {rows} or less, or leave it empty to "
            "train on every row",
            name=name,
            rows=rows,
            per_class=per_class,
        )
    )


def _first_rows(split: TextSplit, rows: int, seed: int) -> TextSplit:
    """Rows with a score: ``rows`` of them in all, the first of one seeded order (nested across
    sizes); DataError when there are fewer."""
    if len(split) < rows:
        raise DataError(
            say(
                "the training data has {rows:,} rows, fewer than shots_per_class={per_class} (a "
                "score's sample counts rows in all); lower it or leave it empty",
                rows=len(split),
                per_class=rows,
            )
        )
    order = np.random.default_rng(seed).permutation(len(split))[:rows]
    return _take(split, order.tolist())


def _per_label_sample(
    split: TextSplit, per_label: int, seed: int, names: Sequence[str]
) -> TextSplit:
    """Rows with several labels: each label's first ``per_label`` rows of one seeded order of
    all rows (nested across sizes), together."""
    order = np.random.default_rng(seed).permutation(len(split)).tolist()
    picked: dict[int, None] = {}
    for label, name in enumerate(names):
        rows = [i for i in order if label in members(split.labels[i])]
        if len(rows) < per_label:
            raise _too_few(name, len(rows), per_label)
        picked.update(dict.fromkeys(rows[:per_label]))
    chosen = np.fromiter(picked, dtype=np.int64)
    return _take(split, np.random.default_rng([seed, per_label]).permutation(chosen).tolist())


def split_digest(split: TextSplit, label_names: Sequence[str]) -> str:
    """A fingerprint of a split's rows in order (each text with its label's name): two splits
    with the same digest hold the same rows, so a run's validation rows can be recognised
    later, after its dataset may have changed."""
    digest = hashlib.sha256()
    for text, label in zip(split.texts, split.labels, strict=True):
        name: Any = label  # a score is its own name
        if isinstance(label, (tuple, list)):
            name = [label_names[i] for i in label]
        elif not isinstance(label, float):
            name = label_names[label]
        digest.update(json.dumps([text, name], ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
