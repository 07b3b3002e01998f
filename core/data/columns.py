"""Which columns hold the text and the labels, and how label values are compared."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError
from core.messages import say

TEXT_NAMES = (
    "text", "sentence", "review", "content", "comment",
    "document", "body", "utterance", "tweet", "query",
)  # fmt: skip
LABEL_NAMES = (
    "label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "rating",
)  # fmt: skip
SCORE_ONLY_NAMES = ("score", "similarity", "value")
"""Names of a column of numbers to predict, looked for when no column is named like labels."""
COLUMN_HINT = say("set text_column / label_column (CLI: --text-column / --label-column)")
_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")
MANY_NUMBERS = 20
"""More distinct fractional numbers than this in a label column read as measurements."""


def guess_columns(
    df: pd.DataFrame, text_column: str | None = None, label_column: str | None = None
) -> tuple[str, str]:
    """Return ``(text_column, label_column)``: the given names, checked, or guessed ones."""
    available = ", ".join(repr(str(c)) for c in df.columns)
    text_column, label_column = text_column or None, label_column or None  # "" means guess
    for given in (text_column, label_column):
        if given is not None and given not in df.columns:
            raise DataError(
                say(
                    "column '{column}' not found; available columns: {available}",
                    column=given,
                    available=available,
                )
            )
    label = (
        label_column
        or by_name(df, LABEL_NAMES, exclude=text_column)
        or by_name(df, SCORE_ONLY_NAMES, exclude=text_column)
    )
    if label is None:
        raise DataError(
            say(
                "could not tell which column holds the labels (columns: {available}); {hint}",
                available=available,
                hint=COLUMN_HINT,
            )
        )
    text = text_column or by_name(df, TEXT_NAMES, exclude=label) or _longest_text(df, label)
    if text is None:
        raise DataError(
            say(
                "could not tell which column holds the text (columns: {available}); {hint}",
                available=available,
                hint=COLUMN_HINT,
            )
        )
    if text == label:
        raise DataError(
            say("text and label column are both '{column}'; {hint}", column=text, hint=COLUMN_HINT)
        )
    return str(text), str(label)


def by_name(df: pd.DataFrame, names: Sequence[str], exclude: str | None) -> str | None:
    by_lower = {str(c).lower(): c for c in reversed(df.columns) if c != exclude}
    return next((by_lower[name] for name in names if name in by_lower), None)


def _longest_text(df: pd.DataFrame, exclude: str) -> str | None:
    """The non-numeric string column with the longest mean length (sampled)."""
    best, best_len = None, 0.0
    for col in df.columns:
        values = df[col].head(1000).dropna()
        if col == exclude or not all(isinstance(v, str) for v in values):
            continue
        if len(values) == 0 or pd.to_numeric(values, errors="coerce").notna().all():
            continue
        mean_len = float(values.str.len().mean())
        if mean_len > best_len:
            best, best_len = col, mean_len
    return best


# ------------------------------------------------------------------------------- labels & texts
def label_key(value: Any) -> str | None:
    """Canonical label string: integer-valued numbers/strings -> "3"; missing -> None."""
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        raise DataError(say("the label column holds lists; multi-label data is not supported"))
    if is_missing(value):
        return None
    if isinstance(value, (int, np.integer, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if _INT_RE.fullmatch(text):
        return str(int(text.partition(".")[0]))
    return text or None


def is_missing(value: Any) -> bool:
    """True for an empty cell (None, pandas NA or NaN), whatever the column's dtype."""
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )


def sorted_label_names(keys: Sequence[str]) -> list[str]:
    """Label names in a stable order: numerically when all are integers, else alphabetically."""
    names = set(keys)
    if all(re.fullmatch(r"-?\d+", name) for name in names):
        return sorted(names, key=int)
    return sorted(names)


def _number(key: str) -> float | None:
    try:
        return float(key)
    except ValueError:
        return None


def looks_continuous(keys: Sequence[str]) -> bool:
    """Whether label values (as text) are measurements, not classes.

    Continuous values (scores such as 0.37, 1.52, ...) are told apart from classes that happen
    to be numbers (0/1, 1.0/2.0, a few steps such as 0.5/1.5/2.5) by being numbers, some with
    fractions, that either take more than :data:`MANY_NUMBERS` distinct values or mostly occur
    only once.
    """
    counts = Counter(keys)
    numbers = [n for n in map(_number, counts) if n is not None]
    if not numbers or len(numbers) < len(counts) or all(n.is_integer() for n in numbers):
        return False  # words among the labels, or whole numbers only: classes
    once = sum(1 for n in counts.values() if n == 1)
    return not (len(counts) <= MANY_NUMBERS and once * 2 <= len(counts))


def check_not_continuous(keys: Sequence[str], column: str) -> None:
    """DataError when the label column of a classification holds measurements
    (:func:`looks_continuous`): each would become a class of one or two rows, and training
    would fail later for an unclear reason ("too small")."""
    if not looks_continuous(keys):
        return
    counts = Counter(keys)
    examples = ", ".join(list(counts)[:5])
    raise DataError(
        say(
            "the label column '{column}' looks continuous: it holds {distinct:,} distinct numbers "
            "such as {examples}. Classification needs a small set of classes - choose another "
            "label column, or bin the values into a few classes (e.g. low / medium / high) in a "
            "new column; or predict the number itself: choose the task regression (CLI: --task "
            "regression)",
            column=column,
            distinct=len(counts),
            examples=examples,
        )
    )
