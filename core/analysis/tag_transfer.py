"""A tagger measured on another dataset of tagged words (Compare's generalisation column): the
share of words tagged right and the entity F1 (CoNLL scoring, :mod:`core.analysis.entities`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

from core.analysis.entities import entity_scores
from core.analysis.predict import Predictor
from core.data.splits import DataBundle, TextSplit
from core.errors import DataError
from core.messages import say


def tagged_transfer(
    bundle: DataBundle, split: TextSplit, folder: str | Path, run_tags: list[str],
    predictor: Predictor, max_rows: int,
) -> tuple[int, float, float]:  # fmt: skip
    """Sentences scored, word accuracy and entity F1 of the tagger in ``folder`` on the first
    ``max_rows`` sentences of ``split``.

    Raises:
        DataError: the dataset has tags the tagger does not know.
    """
    missing = sorted(set(bundle.label_names) - set(run_tags))
    if missing:
        raise DataError(
            say("the tagger knows the tags {tags}, but the dataset has {missing} too; pick a "
                "dataset tagged like the training data", tags=", ".join(run_tags),
                missing=", ".join(missing))
        )  # fmt: skip
    words = [list(sentence) for sentence in split.texts[:max_rows]]
    truth = [
        [bundle.label_names[tag] for tag in cast(Sequence[int], tags)]
        for tags in split.labels[:max_rows]
    ]
    rows = predictor.predict(words, [str(folder)])[str(folder)] if words else []
    predicted = [row["tags"] for row in rows]
    pairs = [(a, b) for gold, guess in zip(truth, predicted, strict=True)
             for a, b in zip(gold, guess, strict=True)]  # fmt: skip
    accuracy = sum(a == b for a, b in pairs) / len(pairs) if pairs else 0.0
    return len(words), accuracy, entity_scores(truth, predicted).overall.f1
