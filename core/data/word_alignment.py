"""Tags of words on a model's sub-tokens, and the model's sub-token tags back on words.

A tokenizer splits a word into one or more sub-tokens (``Blackburnian`` -> ``blackburn
##ian``) and drops some words entirely (an empty string, a zero-width space, a control
character). Each word's tag is put on its first sub-token; the other sub-tokens, and the
special tokens, get :data:`IGNORE` so the loss and the metrics skip them (the recipe of the
BERT paper and of the Hugging Face token-classification example). A word without a sub-token,
dropped by the tokenizer or cut off by ``max_length``, has no position: its predicted tag is
``O`` when tags are read back (:func:`word_tags`), so it counts as a missed entity if it was one.

Reading back goes through :attr:`AlignedWords.first_positions`, each word's first sub-token in
the input ids. A prompt method puts its virtual tokens before the real ones, so its outputs
are read ``prompt_length`` positions further on.

This needs a fast tokenizer (one backed by the ``tokenizers`` library), the only kind that
says which word each sub-token came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.data.iob import OUTSIDE
from core.errors import DataError, UnsupportedModelError
from core.messages import say

IGNORE = -100
"""Label of sub-tokens the loss skips (``torch.nn.CrossEntropyLoss``'s ``ignore_index``)."""


@dataclass(frozen=True)
class AlignedWords:
    """Tokenised sentences, their labels on first sub-tokens and the way back to words."""

    input_ids: list[list[int]]
    attention_mask: list[list[int]]
    labels: list[list[int]] | None
    """Tag ids on each word's first sub-token, :data:`IGNORE` elsewhere; None without tags."""
    word_ids: list[list[int | None]]
    """The word of each sub-token (None for special tokens)."""
    first_positions: list[list[int | None]]
    """Each word's first sub-token position; None for a word dropped or cut off."""

    @property
    def unplaced_words(self) -> int:
        """Words without a sub-token (dropped by the tokenizer or cut off by the length)."""
        return sum(position is None for sentence in self.first_positions for position in sentence)


def align_words(
    tokenizer: Any, words: Sequence[Sequence[str]], max_length: int,
    tags: Sequence[Sequence[str]] | None = None, tag_ids: Mapping[str, int] | None = None,
) -> AlignedWords:  # fmt: skip
    """Tokenise word lists (truncated to ``max_length`` sub-tokens, specials included) and put
    each word's tag id (``tag_ids[tag]``) on its first sub-token.

    Raises:
        UnsupportedModelError: the tokenizer is not a fast one.
        DataError: a tag missing from ``tag_ids`` (a tag the training data never had).
    """
    if not getattr(tokenizer, "is_fast", False):
        raise UnsupportedModelError(
            say(
                "tagged words need a fast tokenizer, which tells each sub-token's word; "
                "{name} has only a slow one",
                name=type(tokenizer).__name__,
            )  # fmt: skip
        )
    encoded = tokenizer(
        [list(sentence) for sentence in words], is_split_into_words=True, truncation=True,
        max_length=max_length,
    )  # fmt: skip
    word_ids = [encoded.word_ids(i) for i in range(len(words))]
    firsts = [
        _first_positions(ids, len(sentence)) for ids, sentence in zip(word_ids, words, strict=True)
    ]
    labels = None
    if tags is not None:
        if tag_ids is None:
            raise TypeError("align_words: tags need tag_ids")
        labels = [
            _labels(ids, sentence_tags, tag_ids)
            for ids, sentence_tags in zip(word_ids, tags, strict=True)
        ]
    return AlignedWords(
        input_ids=[list(ids) for ids in encoded["input_ids"]],
        attention_mask=[list(mask) for mask in encoded["attention_mask"]],
        labels=labels,
        word_ids=word_ids,
        first_positions=firsts,
    )


def word_tags(
    token_tag_ids: Sequence[int], first_positions: Sequence[int | None],
    tag_names: Sequence[str], prompt_length: int = 0,
) -> list[str]:  # fmt: skip
    """One predicted tag per word, read on its first sub-token.

    ``token_tag_ids`` is the model's tag id at each output position; a prompt method's outputs
    start with ``prompt_length`` virtual tokens, skipped here. A word without a position gets
    ``O``.
    """
    return [
        OUTSIDE if position is None else tag_names[token_tag_ids[prompt_length + position]]
        for position in first_positions
    ]


def _first_positions(word_ids: Sequence[int | None], words: int) -> list[int | None]:
    firsts: list[int | None] = [None] * words
    for position, word in enumerate(word_ids):
        if word is not None and firsts[word] is None:
            firsts[word] = position
    return firsts


def _labels(
    word_ids: Sequence[int | None], tags: Sequence[str], tag_ids: Mapping[str, int]
) -> list[int]:
    labels = []
    previous = None
    for word in word_ids:
        if word is None or word == previous:
            labels.append(IGNORE)
        else:
            labels.append(_tag_id(tags[word], tag_ids))
        previous = word
    return labels


def _tag_id(tag: str, tag_ids: Mapping[str, int]) -> int:
    if tag not in tag_ids:
        raise DataError(
            say(
                "tag '{tag}' is not among the training data's tags ({tags})",
                tag=tag,
                tags=", ".join(tag_ids),
            )  # fmt: skip
        )
    return tag_ids[tag]
