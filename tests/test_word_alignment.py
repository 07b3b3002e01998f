"""Tags on first sub-tokens: words split into pieces, words a tokenizer drops, truncation, and
reading predictions back past a prompt's virtual tokens, with WordPiece and byte-level BPE."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.data.word_alignment import IGNORE, align_words, word_tags
from core.errors import DataError, UnsupportedModelError

TAGS = ["O", "B-PER", "I-PER", "B-LOC"]
TAG_IDS = {tag: i for i, tag in enumerate(TAGS)}


@pytest.fixture(scope="module")
def wordpiece() -> Any:
    from core.modeling import load_tokenizer

    return load_tokenizer(None)  # the embedded MiniLM tokenizer, no network


@pytest.fixture(scope="module")
def byte_bpe(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A tiny byte-level BPE tokenizer (RoBERTa's kind), trained here on two sentences."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizerFast

    trained = ByteLevelBPETokenizer(add_prefix_space=True)
    trained.train_from_iterator(
        ["Peter Blackburn went to Brussels", "the cat sat on the mat"] * 5, vocab_size=300,
        min_frequency=1, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )  # fmt: skip
    folder = tmp_path_factory.mktemp("bpe")
    trained.save_model(str(folder))
    vocab = json.loads((folder / "vocab.json").read_text(encoding="utf-8"))
    lines = Path(folder / "merges.txt").read_text(encoding="utf-8").splitlines()[1:]
    merges = [tuple(line.split()) for line in lines if line]
    return RobertaTokenizerFast(vocab=vocab, merges=merges, add_prefix_space=True)


def _pieces(tokenizer: Any, ids: list[int]) -> list[str]:
    return tokenizer.convert_ids_to_tokens(ids)


def test_wordpiece_labels_only_the_first_piece_of_each_word(wordpiece: Any) -> None:
    words = ["Peter", "Blackburnian", "went", "to", "Brussels"]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC"]
    aligned = align_words(wordpiece, [words], 64, [tags], TAG_IDS)
    pieces = _pieces(wordpiece, aligned.input_ids[0])
    assert pieces[:4] == ["[CLS]", "peter", "blackburn", "##ian"]
    labels = aligned.labels[0] if aligned.labels else []
    assert labels[:4] == [IGNORE, 1, 2, IGNORE]
    assert labels[-1] == IGNORE  # [SEP]
    firsts = aligned.first_positions[0]
    placed = [pieces[p] for p in firsts if p is not None]
    assert placed == ["peter", "blackburn", "went", "to", "brussels"]
    assert sum(label != IGNORE for label in labels) == len(words)
    assert aligned.attention_mask[0] == [1] * len(pieces)
    assert aligned.word_ids[0][:4] == [None, 0, 1, 1]


def test_words_the_tokenizer_drops_have_no_position_and_read_back_as_o(wordpiece: Any) -> None:
    words = ["Peter", "\u200b", "", "Paris"]
    aligned = align_words(wordpiece, [words], 64, [["B-PER", "B-LOC", "O", "B-LOC"]], TAG_IDS)
    assert aligned.first_positions[0] == [1, None, None, 2]
    assert aligned.labels == [[IGNORE, 1, 3, IGNORE]]  # the dropped B-LOC has nowhere to go
    assert aligned.unplaced_words == 2
    predicted = [0, 1, 3, 0]  # tag ids per position
    assert word_tags(predicted, aligned.first_positions[0], TAGS) == ["B-PER", "O", "O", "B-LOC"]


def test_byte_level_bpe_labels_the_first_piece(byte_bpe: Any) -> None:
    words = ["Peter", "Blackburnian", "", "in", "Brussels"]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC"]
    aligned = align_words(byte_bpe, [words], 64, [tags], TAG_IDS)
    pieces = _pieces(byte_bpe, aligned.input_ids[0])
    firsts = aligned.first_positions[0]
    assert firsts[2] is None  # the empty word gives no piece
    assert [pieces[p] for p in firsts if p is not None][:2] == ["ĠPeter", "ĠBlackburn"]
    second = firsts[1]
    assert second is not None and aligned.word_ids[0][second + 1] == 1  # split into pieces
    labels = aligned.labels[0] if aligned.labels else []
    assert [labels[p] for p in firsts if p is not None] == [1, 2, 0, 3]
    assert sum(label != IGNORE for label in labels) == 4


def test_truncation_cuts_words_and_they_read_back_as_o(wordpiece: Any) -> None:
    words = ["Peter", "Blackburn", "went", "to", "Brussels"]
    tags = [["B-PER", "I-PER", "O", "O", "B-LOC"], ["B-LOC"]]
    aligned = align_words(wordpiece, [words, ["Paris"]], 5, tags, TAG_IDS)
    assert len(aligned.input_ids[0]) == 5
    assert aligned.first_positions[0] == [1, 2, 3, None, None]
    assert aligned.first_positions[1] == [1]
    assert aligned.unplaced_words == 2
    outputs = [0, 1, 2, 0, 0]
    read = word_tags(outputs, aligned.first_positions[0], TAGS)
    assert read == ["B-PER", "I-PER", "O", "O", "O"]


def test_prompt_outputs_are_read_after_the_virtual_tokens(wordpiece: Any) -> None:
    aligned = align_words(wordpiece, [["Peter", "Blackburn"]], 16)
    assert aligned.labels is None
    prompt = 3  # three virtual tokens come before [CLS] in the model's outputs
    outputs = [3, 3, 3, 0, 1, 2, 0]
    assert word_tags(outputs, aligned.first_positions[0], TAGS, prompt) == ["B-PER", "I-PER"]
    assert word_tags(outputs, aligned.first_positions[0], TAGS) == ["B-LOC", "B-LOC"]


def test_a_tag_the_training_data_never_had_is_refused(wordpiece: Any) -> None:
    with pytest.raises(DataError, match=r"tag 'B-ORG' is not among the training data's tags "
                       r"\(O, B-PER, I-PER, B-LOC\)"):  # fmt: skip
        align_words(wordpiece, [["EU"]], 16, [["B-ORG"]], TAG_IDS)


def test_a_slow_tokenizer_is_refused() -> None:
    class Slow:
        is_fast = False

    with pytest.raises(UnsupportedModelError, match=r"need a fast tokenizer.*Slow has only"):
        align_words(Slow(), [["a"]], 16)
