"""Why a run predicted what it did: word attributions by occlusion.

Each word is removed in turn and the text classified again; a word's attribution is how much
the predicted label's probability drops without it (positive: the word pushed toward the
prediction; negative: against it). It needs only the model's outputs, so it works for every
method, and all variants go through the model in one batched call.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import torch

from core.analysis.predict import Predictor
from core.errors import DataError
from core.messages import say

MAX_WORDS = 200
JOINERS = "'’-."
"""Characters kept inside a word when letters or digits stand on both sides (don't, 3.5)."""

CHARACTER_SCRIPTS = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0x20000, 0x2FA1F),  # CJK extensions B and later
)
"""Scripts written without spaces between words: each character is one unit."""


def _by_character(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in CHARACTER_SCRIPTS)


def _in_word(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM" and not _by_character(char)


def split_words(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the units that are removed one at a time, in text order.

    Units are words (letters, digits and combining marks, with inner apostrophes, hyphens and
    periods: "don't", "well-made", "3.5"), runs of punctuation ("!!", "..."), and single
    characters of scripts written without spaces (Chinese, Japanese, Thai...).
    Whitespace belongs to no unit.
    """
    spans: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        start = i
        if _by_character(char):
            i += 1
        elif _in_word(char):
            while i < n and (
                _in_word(text[i]) or (text[i] in JOINERS and i + 1 < n and _in_word(text[i + 1]))
            ):
                i += 1
        else:
            while i < n and not (text[i].isspace() or _in_word(text[i]) or _by_character(text[i])):
                i += 1
        spans.append((start, i))
    return spans


def explain(
    predictor: Predictor,
    adapter_folder: str | Path,
    text: str,
    max_words: int = MAX_WORDS,
) -> dict[str, Any]:
    """Word attributions for the label the adapter predicts for ``text``.

    Returns ``label``, ``probability`` (of that label for the whole text), ``words`` as
    ``[(word, attribution)]`` in text order, ``spans`` (each word's (start, end) in ``text``)
    and ``truncated`` (True when the text is longer than the model reads, so words past that
    point cannot matter).
    """
    spans = split_words(text or "")
    if not spans:
        raise DataError(say("there are no words to explain; type a sentence first"))
    if len(spans) > max_words:
        raise DataError(
            say("the text has {words} words and punctuation marks; an explanation takes up to "
                "{most}: shorten the text or explain one part at a time",
                words=len(spans), most=max_words)
        )  # fmt: skip
    adapter = predictor.load(adapter_folder)
    variants = [text] + [text[:start] + text[end:] for start, end in spans]
    probabilities = torch.softmax(predictor.logits(adapter, variants).float(), dim=-1)
    label = int(probabilities[0].argmax())
    full = float(probabilities[0, label])
    drops = (full - probabilities[1:, label]).tolist()
    length = len(adapter.tokenizer(text, truncation=False)["input_ids"])
    return {
        "label": adapter.label_names[label],
        "probability": full,
        "words": [(text[start:end], drop) for (start, end), drop in zip(spans, drops, strict=True)],
        "spans": spans,
        "truncated": length > adapter.max_length,
    }
