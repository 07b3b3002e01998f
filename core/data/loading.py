"""Load a labelled text-classification dataset from a file, a folder or the Hugging Face Hub.

:func:`load_data` returns a :class:`DataBundle` of train/validation/(test) splits with integer
labels, or raises :class:`~core.errors.DataError` with a message meant for a person.

CSV/TSV quoting rule: files are parsed with the standard CSV rules (fields may be quoted, ``""``
escapes a quote, quoted fields may span lines), which the Amazon review TSVs need. But a TSV
written without quoting (``"\t".join``) may contain stray ``"`` characters, e.g. a sentence
starting with a quote; the standard rules would drop those quotes or swallow the following
lines into one field. So a TSV that contains ``"`` and in which every line has exactly the
header's number of tabs is re-read with quoting off when the standard parse fails, puts a line
break inside a field, or is not strictly valid CSV (text after a closing quote). A note is
recorded. CSV files always use the standard rules (writers must quote commas). The GLUE SST-2
files contain no ``"`` at all; the Amazon TSVs have quoted fields spanning lines.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError

SUPPORTED_EXTENSIONS: tuple[str, ...] = (".tsv", ".csv", ".jsonl", ".json", ".parquet")
TEXT_NAMES = (
    "text", "sentence", "review", "content", "comment",
    "document", "body", "utterance", "tweet", "query",
)  # fmt: skip
LABEL_NAMES = (
    "label", "labels", "sentiment", "class", "target", "category", "y", "polarity", "rating",
)  # fmt: skip
SPLIT_STEMS: dict[str, tuple[str, ...]] = {
    "train": ("train",),
    "validation": ("dev", "validation", "valid", "val"),
    "test": ("test-labeled", "test_labeled", "test-labelled", "test_labelled", "test"),
}
MIN_TRAIN_ROWS = 8
MIN_PER_CLASS = 2
MIN_VALIDATION_ROWS = 2
COLUMN_HINT = "set text_column / label_column (CLI: --text-column / --label-column)"
NOTES_ATTR = "ptune_notes"
_INT_RE = re.compile(r"[+-]?\d+(?:\.0*)?")


@dataclass(frozen=True)
class TextSplit:
    """Texts with their label ids (indices into :attr:`DataBundle.label_names`)."""

    texts: list[str]
    labels: list[int]

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

    def summary(self) -> dict[str, Any]:
        """A JSON-ready description: columns, labels, rows and label counts per split."""
        splits = {"train": self.train, "validation": self.validation, "test": self.test}
        return {
            "source": self.source,
            "text_column": self.text_column,
            "label_column": self.label_column,
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


def split_label_counts(split: TextSplit, label_names: Sequence[str]) -> dict[str, int]:
    """Rows per label name (zero for labels absent from ``split``), in label-id order."""
    counts = Counter(split.labels)
    return {name: counts.get(i, 0) for i, name in enumerate(label_names)}


# ------------------------------------------------------------------------------- reading files
def read_table(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """Read one .tsv/.csv/.jsonl/.json/.parquet file; CSV/TSV cells come back as ``str``.

    Raises:
        DataError: unsupported extension, missing file, not UTF-8, unparsable, or no data rows.
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise DataError(
            f"unsupported file type '{ext or path.name}' ({path}); "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not path.is_file():
        raise DataError(f"file or folder not found: {path}")
    if ext == ".parquet":
        df = _read_parquet(path, nrows)
    else:
        text = _decode(path)
        if not text.strip():
            raise DataError(f"{path} is empty")
        if ext in (".tsv", ".csv"):
            df = _read_delimited(text, path, "\t" if ext == ".tsv" else ",", nrows)
        else:
            df = _read_json(text, path, ext == ".jsonl", nrows)
    if len(df) == 0:
        has_header = len(df.columns) > 0
        raise DataError(f"{path} has no data rows" + (" (only a header)" if has_header else ""))
    return df


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save it as UTF-8"
        ) from None


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_delimited(text: str, sep: str, quoting: int, nrows: int | None) -> pd.DataFrame:
    with warnings.catch_warnings():  # "header and data lengths differ" would silently drop data
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(
            io.StringIO(text), sep=sep, quoting=quoting, dtype=str, keep_default_na=False,
            na_values=[], index_col=False, nrows=nrows,
        )  # fmt: skip


def _one_row_per_line(text: str, sep: str) -> bool:
    lines = [line.rstrip("\r") for line in text.split("\n")]
    lines = [line for line in lines if line]
    fields = lines[0].count(sep)
    return fields > 0 and all(line.count(sep) == fields for line in lines)


def _has_line_break(df: pd.DataFrame) -> bool:
    return any(df[col].str.contains("[\r\n]", regex=True).any() for col in df.columns)


def _strictly_quoted(text: str, sep: str) -> bool:
    try:
        for _ in csv.reader(io.StringIO(text), delimiter=sep, strict=True):
            pass
    except csv.Error:
        return False
    return True


def _read_delimited(text: str, path: Path, sep: str, nrows: int | None) -> pd.DataFrame:
    df, error = None, None
    try:
        df = _parse_delimited(text, sep, csv.QUOTE_MINIMAL, nrows)
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        error = exc
    if (
        sep == "\t"
        and '"' in text
        and _one_row_per_line(text, sep)
        and (df is None or _has_line_break(df) or not _strictly_quoted(text, sep))
    ):
        df = _parse_delimited(text, sep, csv.QUOTE_NONE, nrows)  # the quotes are plain text
        df.attrs[NOTES_ATTR] = [f'read {path.name} with quoting off (stray " characters)']
    elif df is None:
        raise DataError(f"could not parse {path}: {_one_line(error)}") from error
    return df


def _read_json(text: str, path: Path, lines: bool, nrows: int | None) -> pd.DataFrame:
    """JSON lines, or one JSON list of objects (also ``{"data": [...]}`` / ``{col: [...]}``)."""
    try:
        if lines:
            rows: Any = [_json_line(line, i) for i, line in enumerate(text.split("\n"), 1)]
            rows = [row for row in rows if row is not None]
        else:
            rows = json.loads(text)
            if isinstance(rows, dict):
                lists = [v for v in rows.values() if isinstance(v, list)]
                if len(rows) == 1 and lists:  # {"data": [objects]}
                    rows = lists[0]
                elif lists and len(lists) == len(rows):  # {column: [values]}
                    rows = pd.DataFrame(rows).to_dict("records")
    except ValueError as exc:  # JSONDecodeError and unequal column lengths
        if not lines and getattr(exc, "msg", "") == "Extra data":  # a .json file of JSON lines
            return _read_json(text, path, True, nrows)
        raise DataError(f"could not parse {path}: {_one_line(exc)}") from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DataError(f"could not parse {path}: expected one JSON object per example")
    df = pd.DataFrame.from_records(rows)
    return df if nrows is None else df.head(nrows)


def _json_line(line: str, number: int) -> Any:
    try:
        return json.loads(line) if line.strip() else None
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {number}: {exc.msg} (column {exc.colno})") from exc


def _read_parquet(path: Path, nrows: int | None) -> pd.DataFrame:
    try:
        df = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"could not read {path} as Parquet: {_one_line(exc)}") from exc
    return df if nrows is None else df.head(nrows)


# ------------------------------------------------------------------------------- columns
def guess_columns(
    df: pd.DataFrame, text_column: str | None = None, label_column: str | None = None
) -> tuple[str, str]:
    """Return ``(text_column, label_column)``: the given names, checked, or guessed ones."""
    available = ", ".join(repr(str(c)) for c in df.columns)
    text_column, label_column = text_column or None, label_column or None  # "" means guess
    for given in (text_column, label_column):
        if given is not None and given not in df.columns:
            raise DataError(f"column '{given}' not found; available columns: {available}")
    label = label_column or _by_name(df, LABEL_NAMES, exclude=text_column)
    if label is None:
        raise DataError(
            f"could not tell which column holds the labels (columns: {available}); {COLUMN_HINT}"
        )
    text = text_column or _by_name(df, TEXT_NAMES, exclude=label) or _longest_text(df, label)
    if text is None:
        raise DataError(
            f"could not tell which column holds the text (columns: {available}); {COLUMN_HINT}"
        )
    if text == label:
        raise DataError(f"text and label column are both '{text}'; {COLUMN_HINT}")
    return str(text), str(label)


def _by_name(df: pd.DataFrame, names: Sequence[str], exclude: str | None) -> str | None:
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
def _label_key(value: Any) -> str | None:
    """Canonical label string: integer-valued numbers/strings -> "3"; missing -> None."""
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        raise DataError("the label column holds lists; multi-label data is not supported")
    if _missing(value):
        return None
    if isinstance(value, (int, np.integer, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if _INT_RE.fullmatch(text):
        return str(int(text.partition(".")[0]))
    return text or None


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float | np.floating) and np.isnan(value))
    )


def _sorted_names(keys: Sequence[str]) -> list[str]:
    names = set(keys)
    if all(re.fullmatch(r"-?\d+", name) for name in names):
        return sorted(names, key=int)
    return sorted(names)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _clean(
    df: pd.DataFrame, split: str, text_col: str, label_col: str, notes: list[str]
) -> tuple[list[str], list[str]]:
    """Stripped texts and label keys, dropping rows with empty text or no label."""
    texts = ["" if _missing(v) else str(v).strip() for v in df[text_col].tolist()]
    keys = [_label_key(v) for v in df[label_col].tolist()]
    empty = sum(1 for t in texts if not t)
    unlabelled = sum(1 for t, k in zip(texts, keys, strict=True) if t and k is None)
    if empty + unlabelled > len(texts) / 2:
        raise DataError(
            f"{empty + unlabelled:,} of {len(texts):,} rows in {split} have empty text in "
            f"'{text_col}' or no label in '{label_col}' - probably the wrong column; {COLUMN_HINT}"
        )
    if empty:
        notes.append(f"dropped {_plural(empty, 'row')} with empty text from {split}")
    if unlabelled:
        notes.append(f"dropped {_plural(unlabelled, 'row')} with a missing label from {split}")
    kept = [(t, k) for t, k in zip(texts, keys, strict=True) if t and k is not None]
    return [t for t, _ in kept], [k for _, k in kept]


def _extra_split(
    df: pd.DataFrame | None, split: str, cols: tuple[str, str], names: list[str], notes: list[str]
) -> TextSplit | None:
    """Validation or test split; an unlabelled test file gives None and a note."""
    if df is None:
        return None
    missing = [c for c in cols if c not in df.columns]
    if not missing and split == "test" and all(_label_key(v) is None for v in df[cols[1]]):
        missing = [cols[1]]
    if missing:
        columns = ", ".join(repr(str(c)) for c in df.columns)
        if split != "test":
            raise DataError(f"the {split} split has no column '{missing[0]}' (columns: {columns})")
        notes.append(
            f"the test split has no labels in column '{missing[0]}' (columns: {columns}); "
            "it is treated as unlabelled and not evaluated"
        )
        return None
    texts, keys = _clean(df, split, *cols, notes)
    unseen = sorted(set(keys) - set(names))
    if unseen:
        raise DataError(
            f"the {split} split has labels not seen in train: {unseen} (train: {names})"
        )
    index = {name: i for i, name in enumerate(names)}
    return TextSplit(texts, [index[k] for k in keys])


def _check_train(train: TextSplit, names: list[str], hint: str = "") -> None:
    counts = split_label_counts(train, names)
    rare = {name: n for name, n in counts.items() if n < MIN_PER_CLASS}
    if len(train) < MIN_TRAIN_ROWS or rare:
        detail = f"; too few examples of {rare}" if rare else ""
        raise DataError(
            f"the training data is too small: {_plural(len(train), 'row')}{detail}. At least "
            f"{MIN_TRAIN_ROWS} rows and {MIN_PER_CLASS} examples per class are needed{hint}"
        )


def _overlap_notes(train: TextSplit, others: dict[str, TextSplit | None]) -> list[str]:
    """Warn when evaluation texts also occur in train (their scores would be inflated)."""
    seen, notes = set(train.texts), []
    for name, split in others.items():
        shared = sum(text in seen for text in split.texts) if split is not None else 0
        if split is not None and shared:
            notes.append(f"{shared:,} of {len(split):,} {name} texts also occur in train")
    return notes


# ------------------------------------------------------------------------------- splitting
def _take(split: TextSplit, indices: Sequence[int]) -> TextSplit:
    return TextSplit([split.texts[i] for i in indices], [split.labels[i] for i in indices])


def _split_validation(
    train: TextSplit, fraction: float, seed: int, n_classes: int
) -> tuple[TextSplit, TextSplit]:
    from sklearn.model_selection import train_test_split

    n = len(train)
    n_val = max(math.ceil(n * fraction), n_classes, MIN_VALIDATION_ROWS)
    if n - n_val < n_classes:
        raise DataError(
            f"validation_fraction {fraction} leaves too few training rows ({n - n_val})"
        )
    train_idx, val_idx = train_test_split(
        np.arange(n), test_size=n_val, stratify=train.labels, random_state=seed
    )
    return _take(train, train_idx.tolist()), _take(train, val_idx.tolist())


def stratified_sample(split: TextSplit, n: int, seed: int) -> TextSplit:
    """Stratified sample of ``n`` rows: per-class quotas by largest remainder, then shuffled."""
    labels = np.asarray(split.labels)
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


# ------------------------------------------------------------------------------- sources
def _looks_like_path(source: str) -> bool:
    return (
        Path(source).suffix.lower() in SUPPORTED_EXTENSIONS
        or source.startswith(("/", ".", "~"))
        or "\\" in source
        or source.count("/") > 1
        or re.match(r"[A-Za-z]:[\\/]", source) is not None
    )


def _folder_frames(folder: Path) -> dict[str, pd.DataFrame]:
    by_stem: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in SUPPORTED_EXTENSIONS:
            by_stem.setdefault(path.stem.lower(), []).append(path)
    chosen: dict[str, Path] = {}
    for split, stems in SPLIT_STEMS.items():
        matches = next((by_stem[s] for s in stems if s in by_stem), [])
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise DataError(f"several {split} files in {folder}: {names}; keep only one")
        if matches:
            chosen[split] = matches[0]
    if "train" not in chosen:
        subfolders = [
            p.name
            for p in sorted(folder.iterdir())
            if p.is_dir() and any(p.glob("[Tt][Rr][Aa][Ii][Nn].*"))
        ]
        hint = f"; these subfolders have one: {', '.join(subfolders)}" if subfolders else ""
        raise DataError(
            f"no training file in folder {folder}: expected train.<ext> (ext one of "
            f"{', '.join(SUPPORTED_EXTENSIONS)}), optionally with dev/validation/valid/val and "
            f"test/test-labeled files{hint}"
        )
    return {split: read_table(path) for split, path in chosen.items()}


def _hub_frames(
    source: str, hf_config: str | None
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """Splits of a Hub dataset as DataFrames; ClassLabel ids become names (-1 -> missing)."""
    name, _, config = source.partition(":")
    try:
        import datasets

        loaded = datasets.load_dataset(name, hf_config or config or None)
    except Exception as exc:  # the hub raises many unrelated types
        raise DataError(
            f"could not load dataset '{source}' from the Hugging Face Hub ({_one_line(exc)}). "
            "Check the name and your internet connection, or give a path to a local file or "
            "folder."
        ) from exc
    by_lower = {str(key).lower(): key for key in loaded}
    frames: dict[str, pd.DataFrame] = {}
    orders: dict[str, list[str]] = {}
    for split, stems in SPLIT_STEMS.items():
        key = next((by_lower[s] for s in stems if s in by_lower), None)
        if key is None:
            continue
        ds = loaded[key]
        df = ds.to_pandas()
        for col, feature in ds.features.items():
            if isinstance(feature, datasets.ClassLabel):
                names = list(feature.names)
                df[col] = [names[i] if 0 <= i < len(names) else None for i in df[col]]
                orders[col] = [str(_label_key(n)) for n in names]
        frames[split] = df
    if "train" not in frames:
        raise DataError(f"dataset '{source}' has no train split (splits: {list(loaded)})")
    return frames, orders


def _load_frames(
    source: str | Path, hf_config: str | None
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    text = str(source).strip()
    if not text:
        raise DataError("no dataset given: give a file, a folder or a Hugging Face dataset id")
    path = Path(text).expanduser()
    if path.is_dir():
        return _folder_frames(path), {}
    if path.is_file():
        return {"train": read_table(path)}, {}
    if isinstance(source, Path) or _looks_like_path(text):
        raise DataError(f"file or folder not found: {text}")
    return _hub_frames(text, hf_config)


def load_data(
    source: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    validation_fraction: float = 0.1,
    seed: int = 42,
    hf_config: str | None = None,
    max_train_rows: int | None = None,
) -> DataBundle:
    """Load a dataset from a file, a folder of split files, or a Hub id (``"glue:sst2"``).

    Without a validation file, a stratified ``validation_fraction`` of train (``seed``) is held
    out. Label names come from train; rows with empty text or no label are dropped with a note.

    Raises:
        DataError: for every unusable input, with a message naming the problem and the fix.
    """
    if not 0 < validation_fraction < 1:
        raise DataError(f"validation_fraction must be between 0 and 1, got {validation_fraction}")
    if max_train_rows is not None and max_train_rows < MIN_TRAIN_ROWS:
        raise DataError(f"max_train_rows must be at least {MIN_TRAIN_ROWS}, got {max_train_rows}")
    frames, orders = _load_frames(source, hf_config)
    notes = [note for df in frames.values() for note in df.attrs.get(NOTES_ATTR, [])]
    cols = guess_columns(frames["train"], text_column, label_column)
    texts, keys = _clean(frames["train"], "train", *cols, notes)
    if len(set(keys)) < 2:
        raise DataError(
            f"the training data has only one label ({sorted(set(keys))}); at least two are needed"
        )
    names = orders.get(cols[1]) or _sorted_names(keys)
    index = {name: i for i, name in enumerate(names)}
    train = TextSplit(texts, [index[k] for k in keys])
    _check_train(train, names)
    validation = _extra_split(frames.get("validation"), "validation", cols, names, notes)
    test = _extra_split(frames.get("test"), "test", cols, names, notes)
    if validation is None:
        train, validation = _split_validation(train, validation_fraction, seed, len(names))
        notes.append(
            f"no validation file: held out {len(validation):,} training rows (seed {seed})"
        )
    elif len(validation) < MIN_VALIDATION_ROWS:
        raise DataError(
            f"the validation split has {_plural(len(validation), 'row')}; "
            f"at least {MIN_VALIDATION_ROWS} are needed"
        )
    if max_train_rows is not None and len(train) > max_train_rows:
        notes.append(f"using {max_train_rows:,} of {len(train):,} training rows (max_train_rows)")
        train = stratified_sample(train, max_train_rows, seed)
        _check_train(train, names, hint=" - raise max_train_rows")
    notes += _overlap_notes(train, {"validation": validation, "test": test})
    return DataBundle(train, validation, test, names, *cols, str(source), notes)
