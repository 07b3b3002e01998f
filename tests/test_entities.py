"""Entity-level scoring the CoNLL way, missed and spurious entities, and entity spans."""

from __future__ import annotations

import pytest

from core.analysis.entities import (
    Entity,
    entity_mistakes,
    entity_scores,
    entity_spans,
    highlight,
)

WORDS = ["Peter", "Blackburn", "flew", "from", "Paris", "to", "the", "EU", "."]
GOLD = ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "O", "B-ORG", "O"]


def test_a_perfect_prediction_scores_one() -> None:
    scores = entity_scores([GOLD], [GOLD])
    assert (scores.overall.precision, scores.overall.recall, scores.overall.f1) == (1, 1, 1)
    assert scores.overall.support == 3
    assert list(scores.per_type) == ["LOC", "ORG", "PER"]


def test_a_partly_found_entity_is_one_miss_and_one_false_alarm() -> None:
    predicted = ["B-PER", "O", "O", "O", "B-LOC", "O", "O", "B-LOC", "O"]
    scores = entity_scores([GOLD], [predicted])
    # predicted: PER "Peter" (wrong span), LOC "Paris" (right), LOC "EU" (wrong type)
    assert scores.overall.precision == pytest.approx(1 / 3)
    assert scores.overall.recall == pytest.approx(1 / 3)
    assert scores.overall.f1 == pytest.approx(1 / 3)
    assert scores.per_type["LOC"].precision == 0.5 and scores.per_type["LOC"].recall == 1.0
    assert scores.per_type["PER"].f1 == 0.0 and scores.per_type["PER"].support == 1
    assert scores.per_type["ORG"].recall == 0.0


def test_conlleval_reads_an_entity_begun_with_i() -> None:
    predicted = ["I-PER", "I-PER", "O", "O", "I-LOC", "O", "O", "B-ORG", "O"]
    assert entity_scores([GOLD], [predicted]).overall.f1 == 1.0


def test_sentences_without_entities_score_zero_without_warnings() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = entity_scores([["O", "O"]], [["O", "O"]])
    assert scores.overall.f1 == 0.0 and scores.overall.support == 0 and scores.per_type == {}


def test_mistakes_list_missed_and_spurious_entities_per_sentence() -> None:
    predicted = ["B-PER", "O", "O", "O", "B-LOC", "O", "O", "B-LOC", "O"]
    words = [WORDS, ["Rome"]]
    mistakes = entity_mistakes(words, [GOLD, ["B-LOC"]], [predicted, ["B-LOC"]])
    assert len(mistakes) == 1 and mistakes[0].sentence == 0
    assert mistakes[0].missed == [
        Entity("PER", 0, 1, "Peter Blackburn"),
        Entity("ORG", 7, 7, "EU"),
    ]
    assert mistakes[0].spurious == [Entity("PER", 0, 0, "Peter"), Entity("LOC", 7, 7, "EU")]


def test_spans_and_highlight_pieces_colour_entities_by_type() -> None:
    assert entity_spans(WORDS, GOLD) == [
        Entity("PER", 0, 1, "Peter Blackburn"),
        Entity("LOC", 4, 4, "Paris"),
        Entity("ORG", 7, 7, "EU"),
    ]
    assert highlight(WORDS, GOLD) == [
        ("Peter Blackburn", "PER"),
        ("flew from", None),
        ("Paris", "LOC"),
        ("to the", None),
        ("EU", "ORG"),
        (".", None),
    ]
    assert highlight(["Paris"], ["S-LOC"]) == [("Paris", "LOC")]
    assert highlight(["hi"], ["O"]) == [("hi", None)]


def test_unequal_lengths_are_a_caller_bug() -> None:
    with pytest.raises(RuntimeError, match=r"sentence 0: 2 gold tags, 1 predicted"):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(RuntimeError, match=r"1 gold sentences but 2 predicted"):
        entity_mistakes([["a"]], [["O"]], [["O"], ["O"]])
