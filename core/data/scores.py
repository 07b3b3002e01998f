"""Reading a score per row (regression): the score column, its numbers, and the splits."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from core.data.columns import COLUMN_HINT, LABEL_NAMES, guess_columns, is_missing
from core.data.splits import MIN_TRAIN_ROWS, TextSplit, clean_rows, extra_split, row_count
from core.errors import DataError
from core.messages import say

SCORE_NAMES = ("score", "similarity", "target", "value", "rating", "label", "labels", "y")
"""Column names that hold a row's score, most specific first (any letter case)."""


def score_columns(
    df: pd.DataFrame, text_column: str | None, label_column: str | None
) -> tuple[str, str]:
    """(text column, score column): the given ones, or the score column found by name."""
    if not label_column:
        by_lower = {str(c).lower(): str(c) for c in reversed(df.columns) if c != text_column}
        label_column = next((by_lower[n] for n in SCORE_NAMES if n in by_lower), None)
        if label_column is None:
            raise DataError(
                say(
                    "could not tell which column holds the scores (columns: {available}; "
                    "known names: {names}); {hint}",
                    available=", ".join(repr(str(c)) for c in df.columns),
                    names=", ".join(n for n in SCORE_NAMES if n not in LABEL_NAMES[2:]),
                    hint=COLUMN_HINT,
                )
            )
    return guess_columns(df, text_column, label_column)


class ScoreReader:
    """A score cell as a number (None: empty); DataError naming a cell that is no number."""

    def __init__(self, split: str, column: str) -> None:
        self.split, self.column = split, column

    def __call__(self, value: Any) -> float | None:
        if is_missing(value) or (isinstance(value, str) and not value.strip()):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise DataError(
                say(
                    "the {split} split has {value!r} in the score column '{column}', which is "
                    "not a number; a score (regression) needs a number in every row",
                    split=self.split,
                    value=str(value),
                    column=self.column,
                )
            )
        return number


def _same(keys: list[Any], names: list[str], split: str) -> list[Any]:
    return list(keys)


def score_splits(
    frames: dict[str, Any], cols: tuple[str, str], notes: list[str], pair: str | None = None
) -> tuple[TextSplit, TextSplit | None, TextSplit | None, list[str]]:
    """Train, validation and test rows with their scores, and the one output's name (the score
    column's)."""
    column = cols[1]
    texts, values = clean_rows(frames["train"], "train", *cols, notes, pair,
                               ScoreReader("train", column))  # fmt: skip
    if len(texts) < MIN_TRAIN_ROWS:
        raise DataError(
            say(
                "the training data is too small: {rows}. At least {least} rows are needed",
                rows=row_count(len(texts)),
                least=MIN_TRAIN_ROWS,
            )
        )
    if len(set(values)) < 2:
        raise DataError(
            say(
                "every training row has the score {value}; a score needs rows of different "
                "values to learn from",
                value=values[0],
            )
        )
    names = [column]
    extra = [
        extra_split(
            frames.get(split), split, cols, names, notes, pair, ScoreReader(split, column), _same
        )  # fmt: skip
        for split in ("validation", "test")
    ]
    return TextSplit(texts, values), extra[0], extra[1], names
