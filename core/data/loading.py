"""Load a labelled text-classification dataset from a file, a folder or the Hugging Face Hub.

:func:`load_data` returns a :class:`~core.data.splits.DataBundle` of train/validation/(test)
splits with integer labels, or raises :class:`~core.errors.DataError` with a message meant for
a person. Reading files is :mod:`core.data.reading`, finding the columns :mod:`core.data.columns`,
the splits :mod:`core.data.splits` and Hub datasets :mod:`core.data.hub`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from core.config import TrainConfig
from core.data.columns import (
    LABEL_NAMES,
    by_name,
    check_not_continuous,
    guess_columns,
    sorted_label_names,
)
from core.data.files import not_conll
from core.data.hub import hub_frames
from core.data.label_sets import binary_columns, joined_binary, set_splits
from core.data.reading import NOTES_ATTR, SUPPORTED_EXTENSIONS, read_table
from core.data.scores import score_columns, score_splits
from core.data.splits import (
    MIN_PER_CLASS,
    MIN_TRAIN_ROWS,
    MIN_VALIDATION_ROWS,
    SPLIT_STEMS,
    DataBundle,
    TextSplit,
    check_train,
    clean_rows,
    extra_split,
    overlap_notes,
    per_class_sample,
    row_count,
    split_validation,
    stratified_sample,
)
from core.data.tagged_loading import load_tagged
from core.errors import DataError
from core.messages import Message, say
from core.tasks import (
    AUTO,
    DEFAULT_TASK,
    Detection,
    detect_by_labels,
    detect_source,
    detect_task,
    get_task,
)


def looks_like_path(source: str) -> bool:
    """Whether a dataset that does not exist is meant as a file or folder (not a hub id)."""
    return (
        Path(source).suffix.lower() in SUPPORTED_EXTENSIONS
        or source.startswith(("/", ".", "~"))
        or "\\" in source
        or source.count("/") > 1
        or re.match(r"[A-Za-z]:[\\/]", source) is not None
    )


def folder_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The split files of a dataset folder ({split: path}) and notes on how they were chosen.

    Files are told apart by their names (train, dev/validation/valid/val, test). A folder
    holding one data file under another name (``ChnSentiCorp_htl_all.csv``) uses it as the
    training data, with validation held out from it as for a single file.

    Raises:
        DataError: no training file (naming the data files found), or several for one split.
    """
    files = [
        path
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in SUPPORTED_EXTENSIONS
    ]
    by_stem: dict[str, list[Path]] = {}
    for path in files:
        by_stem.setdefault(path.stem.lower(), []).append(path)
    chosen: dict[str, Path] = {}
    for split, stems in SPLIT_STEMS.items():
        matches = next((by_stem[s] for s in stems if s in by_stem), [])
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise DataError(
                say(
                    "several {split} files in {folder}: {names}; keep only one",
                    split=split,
                    folder=folder,
                    names=names,
                )
            )
        if matches:
            chosen[split] = matches[0]
    if "train" in chosen:
        return chosen, []
    if len(files) == 1 and not chosen:
        note = say("the folder's only data file, {name}, is the training data", name=files[0].name)
        return {"train": files[0]}, [note]
    raise DataError(_no_train_message(folder, files))


def _no_train_message(folder: Path, files: list[Path]) -> Message:
    expected = say(
        "expected train.<ext> (ext one of {extensions}), optionally with "
        "dev/validation/valid/val and test/test-labeled files",
        extensions=", ".join(SUPPORTED_EXTENSIONS),
    )
    if len(files) > 1:
        return say(
            "no training file in folder {folder}: it holds several data files ({names}) and "
            "none is named train; rename the training file to train.<ext>, or give one file "
            "itself as the dataset",
            folder=folder, names=", ".join(p.name for p in files),
        )  # fmt: skip
    if files:
        return say(
            "no training file in folder {folder}: its only data file, {name}, is named as a "
            "validation or test split; {expected}",
            folder=folder, name=files[0].name, expected=expected,
        )  # fmt: skip
    subfolders = [
        p.name
        for p in sorted(folder.iterdir())
        if p.is_dir() and any(p.glob("[Tt][Rr][Aa][Ii][Nn].*"))
    ]
    if subfolders:
        return say(
            "no training file in folder {folder}: {expected}; these subfolders have one: "
            "{subfolders}",
            folder=folder, expected=expected, subfolders=", ".join(subfolders),
        )  # fmt: skip
    return say("no training file in folder {folder}: {expected}", folder=folder, expected=expected)


def _folder_frames(folder: Path) -> dict[str, pd.DataFrame]:
    chosen, notes = folder_files(folder)
    frames = {split: read_table(path) for split, path in chosen.items()}
    frames["train"].attrs.setdefault(NOTES_ATTR, [])
    frames["train"].attrs[NOTES_ATTR] = [*notes, *frames["train"].attrs[NOTES_ATTR]]
    return frames


def _load_frames(
    source: str | Path, hf_config: str | None
) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    text = str(source).strip()
    if not text:
        raise DataError(say("no dataset given: give a file, a folder or a Hugging Face dataset id"))
    path = Path(text).expanduser()
    if path.is_dir():
        return _folder_frames(path), {}
    if path.is_file():
        return {"train": read_table(path)}, {}
    if isinstance(source, Path) or looks_like_path(text):
        raise DataError(say("file or folder not found: {path}", path=text))
    return hub_frames(text, hf_config)


MULTI_LABEL = "multi_label"
BINARY_LABELS = "labels"
"""The label column made of 0/1 columns, one per label (:func:`_task_and_columns` joins them)."""

HOLDOUT_SEED = 42
"""Seed of the validation rows held out for few-shot samples: fixed, so that every sample size
and seed is judged on the same rows."""


def _capped(split: TextSplit, rows: int, name: str, notes: list[str]) -> TextSplit:
    """At most ``rows`` rows of an evaluation split: a stratified sample with a fixed seed."""
    if len(split) <= rows:
        return split
    notes.append(
        say(
            "evaluating on {used:,} of the {rows:,} {split} rows (eval_sample_rows)",
            used=rows,
            rows=len(split),
            split=name,
        )
    )
    return stratified_sample(split, rows, HOLDOUT_SEED)


def load_data(
    source: str | Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    task: str = AUTO,
    text_pair_column: str | None = None,
    validation_fraction: float = TrainConfig.validation_fraction,
    seed: int = TrainConfig.seed,
    hf_config: str | None = None,
    max_train_rows: int | None = None,
    shots_per_class: int | None = None,
    eval_sample_rows: int | None = None,
) -> DataBundle:
    """Load a dataset from a file, a folder of split files, or a Hub id (``"glue:sst2"``).

    Without a validation file, a stratified ``validation_fraction`` of train (``seed``) is held
    out. Label names come from train; rows with empty text or no label are dropped with a note.
    ``shots_per_class`` trains on that many rows of each class (:func:`per_class_sample`); the
    validation rows are then held out with :data:`HOLDOUT_SEED` instead of ``seed``, the same
    for every sample. ``eval_sample_rows`` caps the validation and test splits with a fixed
    stratified sample. ``task`` (default: told from the columns, :func:`core.tasks.detect_task`)
    and ``text_pair_column`` make a pair task's rows ``(text, text_pair)`` tuples. A CoNLL
    file or a folder of them (or ``task="tagging"``) is tagged words
    (:func:`core.data.tagged_loading.load_tagged`; the sizes count sentences).

    Raises:
        DataError: for every unusable input, with a message naming the problem and the fix.
    """
    _check_sizes(validation_fraction, max_train_rows, shots_per_class)
    tagged = detect_source(source, task)
    if tagged is not None:  # tagged words: a CoNLL file, told from the file, not its columns
        return load_tagged(
            source, tagged, validation_fraction=validation_fraction, seed=seed,
            max_train_rows=max_train_rows, shots=shots_per_class,
            eval_sample_rows=eval_sample_rows,
        )  # fmt: skip
    problem = not_conll(Path(str(source)).expanduser())
    if problem is not None:  # a .txt (or .conll, ...) file whose lines are not tagged words
        raise DataError(problem)
    frames, orders = _load_frames(source, hf_config)
    notes = [note for df in frames.values() for note in df.attrs.get(NOTES_ATTR, [])]
    found, cols = _task_and_columns(frames, task, text_column, label_column, text_pair_column)
    pair = found.text_pair_column
    train, validation, test, names = _splits(found, frames, cols, orders, source, notes)
    holdout = seed if shots_per_class is None else HOLDOUT_SEED
    train, validation = _with_validation(
        train, validation, validation_fraction, holdout, len(names), notes
    )
    train = _sampled_train(train, names, seed, max_train_rows, shots_per_class, notes)
    if eval_sample_rows is not None:
        validation = _capped(validation, eval_sample_rows, "validation", notes)
        test = None if test is None else _capped(test, eval_sample_rows, "test", notes)
    notes += overlap_notes(train, {"validation": validation, "test": test})
    bundle = DataBundle(train, validation, test, names, *cols, str(source), notes)
    bundle.task, bundle.task_reason, bundle.text_pair_column = found.task, found.reason, pair
    return bundle


def _splits(
    found: Detection, frames: dict[str, pd.DataFrame], cols: tuple[str, str],
    orders: dict[str, list[str]], source: str | Path, notes: list[str],
) -> tuple[TextSplit, TextSplit | None, TextSplit | None, list[str]]:  # fmt: skip
    """The train, validation and test splits and the label names, read as the task's labels
    are: one class, a set of classes, or a number."""
    pair = found.text_pair_column
    kind = get_task(found.task).label_kind
    if kind == "set":
        return set_splits(frames, cols, source, notes, pair)
    if kind == "number":
        return score_splits(frames, cols, notes, pair)
    train, names = _train_split(frames["train"], cols, orders, notes, pair)
    validation = extra_split(frames.get("validation"), "validation", cols, names, notes, pair)
    test = extra_split(frames.get("test"), "test", cols, names, notes, pair)
    return train, validation, test, names


def _task_and_columns(
    frames: dict[str, pd.DataFrame], task: str, text_column: str | None,
    label_column: str | None, text_pair_column: str | None,
) -> tuple[Detection, tuple[str, str]]:  # fmt: skip
    """The task (given, else told from the columns, then from the label values) and the text
    and label columns of the training frame; 0/1 columns holding the labels are joined into
    one label column of lists."""
    train = frames["train"]
    found, binary = task_of_columns(train, task, text_column, label_column, text_pair_column)
    found, text, label = columns_of(train, found, task, text_column, label_column, binary)
    if binary:
        joined_binary(frames, binary, BINARY_LABELS)
        label = BINARY_LABELS
    return found, (text, str(label))


def task_of_columns(
    df: pd.DataFrame, task: str, text_column: str | None, label_column: str | None,
    text_pair_column: str | None,
) -> tuple[Detection, list[str]]:  # fmt: skip
    """The task of a table told from its columns (``task`` when given), and the 0/1 columns
    that hold its labels when there is one per label (:func:`one_column_per_label`), else
    none. Training and the Train tab's preview both read a table this way."""
    found = detect_task(df.columns, task, text_column, text_pair_column)
    one_text = found.task in (DEFAULT_TASK, MULTI_LABEL)  # not a pair
    if task in (AUTO, MULTI_LABEL) and not label_column and one_text:
        return one_column_per_label(_without_pair(df, found), found, text_column)
    return found, []


def columns_of(
    df: pd.DataFrame, found: Detection, task: str, text_column: str | None,
    label_column: str | None, binary: list[str],
) -> tuple[Detection, str, str | None]:  # fmt: skip
    """The text and label columns of a table of task ``found`` (the label column None where
    the ``binary`` 0/1 columns hold the labels), and under ``auto`` the task its label values
    show (several labels per row, a score).

    Raises:
        DataError: a column that cannot be told.
    """
    candidates = _without_pair(df, found)
    text_column = found.text_column or text_column
    guess = score_columns if get_task(found.task).label_kind == "number" else guess_columns
    if binary:  # the text column, told apart from the 0/1 ones
        return found, guess(candidates, text_column, binary[0])[0], None
    text, label = guess(candidates, text_column, label_column)
    if task == AUTO:
        found = detect_by_labels(found, df[label].head(1000).tolist(), label)
    return found, text, label


def _without_pair(df: pd.DataFrame, found: Detection) -> pd.DataFrame:
    pair = found.text_pair_column
    return df if pair is None else df.drop(columns=[pair])


def one_column_per_label(
    df: pd.DataFrame, found: Detection, text_column: str | None
) -> tuple[Detection, list[str]]:
    """Several labels as one 0/1 column per label, when no column is named like labels: the
    task with its reason and those columns; else ``found`` and no column."""
    if by_name(df, LABEL_NAMES, exclude=None) is not None:
        return found, []
    columns = binary_columns(df, [found.text_column or text_column])
    if len(columns) < 2:
        return found, []
    reason = say(
        "{count} columns of 0/1 values, one per label: {names}",
        count=len(columns),
        names=", ".join(columns[:6]) + (", ..." if len(columns) > 6 else ""),
    )
    return Detection(MULTI_LABEL, reason, found.text_column, found.text_pair_column), columns


def _check_sizes(
    validation_fraction: float, max_train_rows: int | None, shots_per_class: int | None
) -> None:
    """DataError when a size asked of :func:`load_data` can never be met, before reading."""
    if not 0 < validation_fraction < 1:
        raise DataError(
            say(
                "validation_fraction must be between 0 and 1, got {value}",
                value=validation_fraction,
            )
        )
    if shots_per_class is not None and shots_per_class < MIN_PER_CLASS:
        raise DataError(
            say(
                "shots_per_class must be at least {least}, got {value}",
                least=MIN_PER_CLASS,
                value=shots_per_class,
            )
        )
    if max_train_rows is not None and max_train_rows < MIN_TRAIN_ROWS:
        raise DataError(
            say(
                "max_train_rows must be at least {least}, got {value}",
                least=MIN_TRAIN_ROWS,
                value=max_train_rows,
            )
        )


def _train_split(
    frame: pd.DataFrame, cols: tuple[str, str], orders: dict[str, list[str]], notes: list[str],
    pair: str | None = None,
) -> tuple[TextSplit, list[str]]:  # fmt: skip
    """The training rows with label ids, and the label names (the hub's order, else sorted)."""
    texts, keys = clean_rows(frame, "train", *cols, notes, pair)
    check_not_continuous(keys, cols[1])
    if len(set(keys)) < 2:
        raise DataError(
            say(
                "the training data has only one label ({labels}); at least two are needed",
                labels=sorted(set(keys)),
            )
        )
    names = orders.get(cols[1]) or sorted_label_names(keys)
    index = {name: i for i, name in enumerate(names)}
    train = TextSplit(texts, [index[k] for k in keys])
    check_train(train, names)
    return train, names


def _with_validation(
    train: TextSplit, validation: TextSplit | None, fraction: float, seed: int, classes: int,
    notes: list[str],
) -> tuple[TextSplit, TextSplit]:  # fmt: skip
    """Train and validation: the validation file's rows, else ``fraction`` of train held out
    with ``seed`` (at least one row of each of the ``classes``)."""
    if validation is None:
        train, validation = split_validation(train, fraction, seed, classes)
        notes.append(
            say(
                "no validation file: held out {rows:,} training rows (seed {seed})",
                rows=len(validation),
                seed=seed,
            )
        )
    elif len(validation) < MIN_VALIDATION_ROWS:
        raise DataError(
            say(
                "the validation split has {rows}; at least {least} are needed",
                rows=row_count(len(validation)),
                least=MIN_VALIDATION_ROWS,
            )
        )
    return train, validation


def _sampled_train(
    train: TextSplit, names: list[str], seed: int, max_train_rows: int | None,
    shots_per_class: int | None, notes: list[str],
) -> TextSplit:  # fmt: skip
    """The training rows after the row cap and the few-shot sample, each noted."""
    if max_train_rows is not None and len(train) > max_train_rows:
        notes.append(
            say(
                "using {used:,} of {rows:,} training rows (max_train_rows)",
                used=max_train_rows,
                rows=len(train),
            )
        )
        train = stratified_sample(train, max_train_rows, seed)
        check_train(train, names, capped=True)
    if shots_per_class is not None:
        train = per_class_sample(train, shots_per_class, seed, names)
        notes.append(
            say(
                "few-shot: training on {per_class:,} rows of each class, {rows:,} in all "
                "(seed {seed})",
                per_class=shots_per_class,
                rows=len(train),
                seed=seed,
            )
        )
    return train
