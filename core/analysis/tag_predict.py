"""Tagging sentences with a trained tagger: each word's tag and the entities they make.

A sentence (a list of words) is tokenised word by word; the model's tag at each word's first
sub-token is the word's tag (a prompt's virtual positions dropped first,
:func:`core.training.tagging_eval.real_positions`); a word cut off by the length is ``O``.
Each answer is ``{"words", "tags", "entities"}``, the entities as ``{"type", "start", "end",
"text"}`` with word indices (``end`` inclusive).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

from core.analysis.entities import entity_spans
from core.data.batching import Tokens
from core.data.word_alignment import align_words, word_tags
from core.training.tagging_eval import predict_tag_ids


def tag_rows(
    adapter: Any, sentences: Sequence[Sequence[str]], batch_size: int, device: str,
    forward: Callable[[], AbstractContextManager],
) -> list[dict[str, Any]]:  # fmt: skip
    """Words, tags and entities of each sentence under a tagging ``adapter``
    (:class:`~core.training.artifacts.LoadedAdapter`); ``forward`` wraps each model pass."""
    words = [list(sentence) for sentence in sentences]
    aligned = align_words(adapter.tokenizer, words, adapter.max_length)
    features = Tokens.from_lists(aligned.input_ids)
    pad = adapter.tokenizer.pad_token_id or 0
    predicted, _ = predict_tag_ids(adapter.model, features, batch_size, pad, device, forward)
    rows = []
    for sentence, ids, firsts in zip(words, predicted, aligned.first_positions, strict=True):
        tags = word_tags(ids, firsts, adapter.label_names)
        entities = [asdict(entity) for entity in entity_spans(sentence, tags)]
        rows.append({"words": sentence, "tags": tags, "entities": entities})
    return rows
