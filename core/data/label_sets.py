"""Reading several labels per row: lists (JSONL), labels joined by a separator (``joy;love``),
or label ids (``0,15``) naming lines of a names file (``labels.txt`` beside the split files,
as in GoEmotions)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.data.columns import is_missing, label_key, sorted_label_names
from core.data.splits import TextSplit, check_train, clean_rows, extra_split
from core.errors import DataError
from core.messages import say
from core.tasks.multi_label import SEPARATORS, is_list, joined

NAMES_FILES = ("labels.txt", "label_names.txt", "classes.txt")
"""A dataset folder's file naming its labels, one a line, when the label cells hold ids."""
_ID_RE = re.compile(r"\d+")


def label_set(value: Any) -> tuple[str, ...] | None:
    """One cell's labels as strings, in their order (None: no label given, an empty list: a row
    with none of the labels)."""
    if is_list(value):
        return tuple(k for k in (label_key(v) for v in list(value)) if k is not None)
    if is_missing(value):
        return None
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            return label_set(items)
    if not text:
        return None
    sep = joined(text) or next((s for s in SEPARATORS if s in text), None)
    parts = [text] if sep is None else text.split(sep)
    return tuple(p.strip() for p in parts if p.strip())


def names_file(source: str | Path) -> Path | None:
    """The names file of a dataset folder (:data:`NAMES_FILES`), if it has one."""
    folder = Path(str(source)).expanduser()
    if not folder.is_dir():
        return None
    return next((folder / n for n in NAMES_FILES if (folder / n).is_file()), None)


def read_names(path: Path) -> list[str]:
    """The label names of a names file, one a line (blank lines skipped)."""
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n]
    if len(set(names)) != len(names) or len(names) < 2:
        raise DataError(
            say(
                "the names file {path} must name at least two labels, each once",
                path=path,
            )
        )
    return names


def label_names(keys: Sequence[tuple[str, ...]], names: list[str] | None) -> list[str]:
    """The label names of the training rows: the names file's when given, else every label
    seen (sorted)."""
    if names is not None:
        return names
    return sorted_label_names([k for key in keys for k in key])


class SetIds:
    """Label ids of rows' label sets; with a names file, cells that hold ids are read as
    line numbers of it (from 0)."""

    def __init__(self, names_path: Path | None = None) -> None:
        self.path = names_path

    def __call__(self, keys: list[Any], names: list[str], split: str) -> list[Any]:
        index = {name: i for i, name in enumerate(names)}
        out = []
        for key in keys:
            ids = [self._id(k, index, names, split) for k in key]
            out.append(tuple(sorted(set(ids))))
        return out

    def _id(self, key: str, index: dict[str, int], names: list[str], split: str) -> int:
        if key in index:
            return index[key]
        if self.path is not None and _ID_RE.fullmatch(key):
            if int(key) < len(names):
                return int(key)
            raise DataError(
                say(
                    "the {split} split has label id {id}, outside the names file {path} "
                    "({count} labels, ids 0 to {last})",
                    split=split,
                    id=key,
                    path=self.path,
                    count=len(names),
                    last=len(names) - 1,
                )
            )
        raise DataError(
            say(
                "the {split} split has labels not seen in train: {unseen} (train: {names})",
                split=split,
                unseen=[key],
                names=names,
            )
        )


def set_splits(
    frames: dict[str, Any], cols: tuple[str, str], source: str | Path, notes: list[str],
    pair: str | None = None,
) -> tuple[TextSplit, TextSplit | None, TextSplit | None, list[str]]:  # fmt: skip
    """Train, validation and test rows of a dataset with several labels per row, and the label
    names (the names file's, else every label seen in train, sorted)."""
    path = names_file(source)
    names_given = read_names(path) if path is not None else None
    texts, keys = clean_rows(frames["train"], "train", *cols, notes, pair, label_set)
    names = label_names(keys, names_given)
    ids = SetIds(path)
    train = TextSplit(texts, ids(keys, names, "train"))
    if len({i for label in train.labels for i in label}) < 2:
        raise DataError(
            say(
                "the training data has only one label ({labels}); at least two are needed",
                labels=sorted({names[i] for label in train.labels for i in label}),
            )
        )
    check_train(train, names)
    extra = [
        extra_split(frames.get(split), split, cols, names, notes, pair, label_set, ids)
        for split in ("validation", "test")
    ]
    return train, extra[0], extra[1], names


BINARY = {"0", "1", "0.0", "1.0", "true", "false"}
"""Cell values of a 0/1 column (one column per label)."""


def binary_columns(df: Any, exclude: Sequence[str | None]) -> list[str]:
    """The columns holding only 0/1 values (at least one 1), but ``exclude``."""
    found = []
    for column in df.columns:
        if column in exclude:
            continue
        values = {str(v).strip().lower() for v in df[column].tolist() if not is_missing(v)}
        if values and values <= BINARY and values & {"1", "1.0", "true"}:
            found.append(str(column))
    return found


def joined_binary(frames: dict[str, Any], columns: list[str], name: str) -> None:
    """Give each frame a column ``name`` holding, per row, the list of ``columns`` set to 1."""
    for df in frames.values():
        present = [c for c in columns if c in df.columns]
        cells = df[present].astype(str).apply(lambda s: s.str.strip().str.lower())
        df[name] = [
            [c for c in present if row[c] in ("1", "1.0", "true")] for _, row in cells.iterrows()
        ]
