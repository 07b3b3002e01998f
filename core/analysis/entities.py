"""Entities in tagged words: CoNLL scoring, missed and spurious entities, spans to colour.

An entity is a run of words tagged ``B-X I-X ...`` (or IOBES ``B- I- E-`` / ``S-``) of one
type ``X``. It counts as found only when the prediction has the same type over exactly the
same words, so a person tagged ``Peter`` in ``Peter Blackburn`` is one missed entity and one
spurious one, not half right. Precision is the share of predicted entities that are right,
recall the share of true entities found, F1 their harmonic mean; micro-averaged over all
entities, and per type. This is the scoring of the CoNLL shared tasks' ``conlleval`` script,
computed by ``seqeval`` in its default (conlleval-compatible) mode, so an ``I-X`` that starts
a run opens an entity just as conlleval reads it.

:func:`entity_mistakes` lists, per sentence, the true entities the prediction missed and the
predicted ones that are not true (the mistakes table); :func:`entity_spans` gives the
entities of one tagged sentence for the Try-it view to colour by type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities

from core.data.iob import OUTSIDE

MICRO = "micro avg"


@dataclass(frozen=True)
class Entity:
    """A run of words of one entity type; ``start`` and ``end`` are word indices, inclusive."""

    type: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Scores:
    """Entity-level precision, recall and F1 (0 to 1) and the number of true entities."""

    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EntityScores:
    """Micro-averaged scores over all entities, and the scores of each entity type."""

    overall: Scores
    per_type: dict[str, Scores]


@dataclass(frozen=True)
class SentenceMistakes:
    """A sentence where the prediction differs from the truth, entity by entity."""

    sentence: int
    """Index of the sentence in the scored list."""
    missed: list[Entity]
    """True entities not predicted (with this type over exactly these words)."""
    spurious: list[Entity]
    """Predicted entities that are not true ones."""


def entity_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> EntityScores:
    """CoNLL entity-level scores of ``predicted`` tags against ``gold`` ones, sentence by
    sentence (the same number of tags in each pair). A type never predicted and never true
    is absent; a score with nothing to divide by is 0."""
    _check_lengths(gold, predicted)
    if not any(tag != OUTSIDE for tags in [*gold, *predicted] for tag in tags):
        return EntityScores(Scores(0.0, 0.0, 0.0, 0), {})  # seqeval averages an empty report
    report = classification_report(
        [list(tags) for tags in gold], [list(tags) for tags in predicted],
        output_dict=True, zero_division=0,
    )  # fmt: skip
    types = {name: _scores(row) for name, row in report.items() if not name.endswith(" avg")}
    overall = _scores(report[MICRO]) if MICRO in report else Scores(0.0, 0.0, 0.0, 0)
    return EntityScores(overall, dict(sorted(types.items())))


def entity_spans(words: Sequence[str], tags: Sequence[str]) -> list[Entity]:
    """The entities of one tagged sentence, in order (for colouring by type)."""
    return [
        Entity(kind, start, end, " ".join(words[start : end + 1]))
        for kind, start, end in get_entities(list(tags))
    ]


def highlight(words: Sequence[str], tags: Sequence[str]) -> list[tuple[str, str | None]]:
    """The sentence as ``(text, entity type or None)`` pieces, words joined by spaces: the
    shape Gradio's ``HighlightedText`` takes, each entity one piece of its type."""
    pieces: list[tuple[str, str | None]] = []
    position = 0
    for entity in entity_spans(words, tags):
        if entity.start > position:
            pieces.append((" ".join(words[position : entity.start]), None))
        pieces.append((entity.text, entity.type))
        position = entity.end + 1
    if position < len(words):
        pieces.append((" ".join(words[position:]), None))
    return pieces


def entity_mistakes(
    words: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
) -> list[SentenceMistakes]:  # fmt: skip
    """The sentences with a missed or a spurious entity, in order."""
    _check_lengths(gold, predicted)
    found = []
    for index, (sentence, truth, guess) in enumerate(zip(words, gold, predicted, strict=True)):
        true_entities = entity_spans(sentence, truth)
        predicted_entities = entity_spans(sentence, guess)
        missed = [entity for entity in true_entities if entity not in predicted_entities]
        spurious = [entity for entity in predicted_entities if entity not in true_entities]
        if missed or spurious:
            found.append(SentenceMistakes(index, missed, spurious))
    return found


def _scores(row: dict[str, float]) -> Scores:
    return Scores(
        float(row["precision"]), float(row["recall"]), float(row["f1-score"]),
        int(row["support"]),
    )  # fmt: skip


def _check_lengths(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> None:
    """Unequal lengths are a bug of the caller (predictions come one per word), not bad data."""
    if len(gold) != len(predicted):
        raise RuntimeError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for index, (truth, guess) in enumerate(zip(gold, predicted, strict=True)):
        if len(truth) != len(guess):
            raise RuntimeError(f"sentence {index}: {len(truth)} gold tags, {len(guess)} predicted")
