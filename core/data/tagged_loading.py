"""Loading tagged words (named entities) as a run's dataset: a CoNLL or JSON lines file, or a
folder of them named by split (``train``, ``dev``/``validation``, ``test``).

Each row is a sentence: its words (a tuple) and the tag id of each word (a tuple, indices into
the training data's tag names, ``O`` first). Without a validation file a share of the training
sentences is held out; ``max_train_rows`` and a few-shot size count sentences, drawn at
random with the run's seed.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from core.data.splits import MIN_VALIDATION_ROWS, SPLIT_STEMS, DataBundle, TextSplit, row_count
from core.data.tagging import TaggedData, read_tagged
from core.errors import DataError
from core.messages import say
from core.tasks import Detection
from core.tasks.tagging import conll_files

HOLDOUT_SEED = 42
"""Seed of the validation sentences held out for few-shot samples (as for other tasks)."""


@dataclass
class TaggedBundle(DataBundle):
    """A dataset of tagged sentences: ``label_names`` are the tags, rows are
    ``(words, tag ids)``."""

    def summary(self) -> dict[str, Any]:
        """Sentences per split and, in place of label counts, words per tag."""
        out = super().summary()
        for name, split in (("train", self.train), ("validation", self.validation)):
            counts = Counter(tag for tags in _tag_rows(split) for tag in tags)
            out["splits"][name]["label_counts"] = {
                tag: counts.get(i, 0) for i, tag in enumerate(self.label_names)
            }
        if self.test is not None:
            out["splits"]["test"]["label_counts"] = {}
        return out

    def digest(self, split: TextSplit) -> str:
        """A fingerprint of the split's sentences in order, each with its tags."""
        digest = hashlib.sha256()
        for words, tags in zip(split.texts, _tag_rows(split), strict=True):
            named = [self.label_names[tag] for tag in tags]
            digest.update(json.dumps([list(words), named], ensure_ascii=False).encode())
            digest.update(b"\n")
        return digest.hexdigest()


def _tag_rows(split: TextSplit) -> list[Sequence[int]]:
    """A tagged split's labels: the tag ids of each sentence's words."""
    return cast(list[Sequence[int]], split.labels)


def split_files(source: Path) -> dict[str, Path]:
    """The files of each split: a file is the training data; a folder's files are told apart
    by name (train, dev/validation/valid/val, test).

    Raises:
        DataError: a folder without a training file.
    """
    if source.is_file():
        return {"train": source}
    by_stem = {path.stem.lower(): path for path in conll_files(source)}
    chosen = {
        split: next(by_stem[stem] for stem in stems if stem in by_stem)
        for split, stems in SPLIT_STEMS.items()
        if any(stem in by_stem for stem in stems)
    }
    if "train" not in chosen:
        raise DataError(
            say(
                "no training file of tagged words in folder {folder}: name it train.txt "
                "(CoNLL) or train.jsonl",
                folder=source,
            )
        )
    return chosen


def load_tagged(
    source: str | Path, found: Detection, *, validation_fraction: float, seed: int,
    max_train_rows: int | None = None, shots: int | None = None,
    eval_sample_rows: int | None = None,
) -> TaggedBundle:  # fmt: skip
    """The tagged sentences of ``source`` as a run's dataset (``found``: why it is tagging).

    Raises:
        DataError: unreadable lines (the readers' messages, with file and line), a tag of
            validation or test the training data lacks, too few sentences.
    """
    files = split_files(Path(str(source)).expanduser())
    train_data = read_tagged(files["train"])
    names = list(train_data.tag_names)
    notes = [str(note) for note in train_data.notes]
    train = _split(train_data, names)
    validation = _read_split(files.get("validation"), names, notes)
    test = _read_split(files.get("test"), names, notes)
    holdout = seed if shots is None else HOLDOUT_SEED
    if validation is None:
        train, validation = _held_out(train, validation_fraction, holdout)
        notes.append(
            say(
                "no validation file: held out {rows:,} training rows (seed {seed})",
                rows=len(validation),
                seed=holdout,
            )
        )
    train = _sampled(train, max_train_rows, shots, seed, notes)
    if eval_sample_rows is not None:
        validation = _sample(validation, eval_sample_rows, HOLDOUT_SEED)
        test = None if test is None else _sample(test, eval_sample_rows, HOLDOUT_SEED)
    for split, name in ((train, "train"), (validation, "validation")):
        if len(split) < MIN_VALIDATION_ROWS:
            raise DataError(
                say(
                    "the {split} split has {rows}; at least {least} are needed",
                    split=name,
                    rows=row_count(len(split)),
                    least=MIN_VALIDATION_ROWS,
                )
            )
    bundle = TaggedBundle(train, validation, test, names, "tokens", "tags", str(source), notes)
    bundle.task, bundle.task_reason = found.task, found.reason
    return bundle


def _split(data: TaggedData, names: Sequence[str]) -> TextSplit:
    index = {tag: i for i, tag in enumerate(names)}
    labels = []
    for sentence in data.sentences:
        for tag in sentence.tags:
            if tag not in index:
                raise DataError(
                    say(
                        "tag '{tag}' is not among the training data's tags ({tags})",
                        tag=tag,
                        tags=", ".join(names),
                    )
                )
        labels.append(tuple(index[tag] for tag in sentence.tags))
    return TextSplit([tuple(s.words) for s in data.sentences], labels)  # type: ignore[arg-type]


def _read_split(path: Path | None, names: Sequence[str], notes: list[str]) -> TextSplit | None:
    if path is None:
        return None
    data = read_tagged(path)
    notes += [str(note) for note in data.notes]
    return _split(data, names)


def _take(split: TextSplit, indices: Sequence[int]) -> TextSplit:
    return TextSplit([split.texts[i] for i in indices], [split.labels[i] for i in indices])


def _sample(split: TextSplit, rows: int, seed: int) -> TextSplit:
    if len(split) <= rows:
        return split
    return _take(split, sorted(random.Random(seed).sample(range(len(split)), rows)))


def _held_out(train: TextSplit, fraction: float, seed: int) -> tuple[TextSplit, TextSplit]:
    order = list(range(len(train)))
    random.Random(seed).shuffle(order)
    held = max(MIN_VALIDATION_ROWS, round(len(train) * fraction))
    return _take(train, sorted(order[held:])), _take(train, sorted(order[:held]))


def _sampled(
    train: TextSplit, max_rows: int | None, shots: int | None, seed: int, notes: list[str]
) -> TextSplit:
    """The training sentences after the row cap and the few-shot size (both in sentences)."""
    if max_rows is not None and len(train) > max_rows:
        notes.append(
            say(
                "using {used:,} of {rows:,} training rows (max_train_rows)",
                used=max_rows,
                rows=len(train),
            )
        )
        train = _sample(train, max_rows, seed)
    if shots is not None:
        if shots > len(train):
            raise DataError(
                say(
                    "a few-shot sample of {shots:,} sentences needs as many training "
                    "sentences; the data has {rows:,}",
                    shots=shots,
                    rows=len(train),
                )
            )
        train = _sample(train, shots, seed)
        notes.append(
            say("few-shot: training on {shots:,} sentences (seed {seed})", shots=shots, seed=seed)
        )
    return train
