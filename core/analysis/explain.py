"""Why a run predicted what it did: word attributions by occlusion.

Each word is removed in turn and the input judged again; a word's attribution is how much the
prediction's measure drops without it (positive: the word pushed toward the prediction;
negative: against it). The measure is the task's (:attr:`~core.tasks.base.Task.label_kind`):
the predicted label's probability, the mean probability of the labels a multi-label run
predicts, or the predicted score itself (positive: the word raised the score). A run trained on
text pairs sees the pair: the words of both texts are taken out one at a time, the other text
kept. It needs only the model's outputs, so it works for every method, and all variants go
through the model in one batched call. A tagger is refused: its answer is already per word.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import torch

from core.analysis.predict import Predictor
from core.errors import DataError, InputError
from core.messages import say
from core.tasks.base import Task
from core.training.artifacts import input_task

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


Unit = tuple[int, int, int]
"""A word's text (0: the first, 1: a pair's second) and its (start, end) in that text."""


def units_of(texts: list[str], max_words: int) -> list[Unit]:
    """The units of every text, in order (:func:`split_words`), checked for an explanation.

    Raises:
        DataError: no word at all, or more than ``max_words`` in all.
    """
    units = [(part, *span) for part, text in enumerate(texts) for span in split_words(text)]
    if not units:
        raise DataError(say("there are no words to explain; type a sentence first"))
    if len(units) > max_words:
        raise DataError(
            say("the text has {words} words and punctuation marks; an explanation takes up to "
                "{most}: shorten the text or explain one part at a time",
                words=len(units), most=max_words)
        )  # fmt: skip
    return units


def _variants(texts: list[str], units: list[Unit]) -> list[Any]:
    """The whole input, then the input with each unit taken out in turn (a pair's other text
    kept as it is); a pair as ``(text, text_pair)`` rows."""
    variants = [list(texts)]
    for part, start, end in units:
        cut = list(texts)
        cut[part] = texts[part][:start] + texts[part][end:]
        variants.append(cut)
    return [tuple(v) if len(v) == 2 else v[0] for v in variants]


def _measure(
    task: Task, logits: torch.Tensor, label_names: list[str], meta: dict[str, Any]
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Per variant (the first the whole input), what the attributions measure, and the
    prediction they explain: ``label`` (one line), ``probability`` (None for a score),
    ``value`` (a score's number, else None) and ``toward`` (the labels measured, with their
    probabilities; a multi-label run that predicts none: its likeliest label)."""
    if task.label_kind == "number":
        values = logits.float()[:, 0]
        value = float(values[0])
        return values, {"label": f"{value:.3f}", "probability": None, "value": value,
                        "toward": []}  # fmt: skip
    probabilities = task.probabilities(logits.float())
    ids = [int(probabilities[0].argmax())]
    label = label_names[ids[0]]
    if task.label_kind == "set":
        chosen = task.present(probabilities[0].tolist(), label_names, meta)["labels"]
        ids = [label_names.index(name) for name in chosen] or ids
        label = ", ".join(chosen)
    measured = probabilities[:, ids].mean(dim=1)
    toward = [(label_names[i], float(probabilities[0, i])) for i in ids]
    return measured, {"label": label, "probability": float(measured[0]), "value": None,
                      "toward": toward}  # fmt: skip


def explain(
    predictor: Predictor,
    adapter_folder: str | Path,
    text: str,
    max_words: int = MAX_WORDS,
    text_pair: str | None = None,
) -> dict[str, Any]:
    """Word attributions for what the adapter predicts for ``text`` (and ``text_pair``, the
    second text, for a run trained on pairs: both texts' words are explained).

    Returns ``kind`` (the task's label kind: "class", "set" or "number"), the prediction
    (``label``, ``probability``, ``value`` and ``toward``, see :func:`_measure`), ``texts``
    (the text, and the second one of a pair), ``words`` as ``[(word, attribution)]`` in order
    (the first text's, then the second's), ``spans`` (each word's (start, end) in its text),
    ``parts`` (each word's text: 0 the first, 1 the second) and ``truncated`` (True when the
    input is longer than the model reads, so words past that point cannot matter).

    Raises:
        DataError: no word to explain, or too many.
        InputError: a tagger (its answer is per word already), a pair run without its second
            text, or a one-text run given one.
    """
    task = input_task(adapter_folder)
    if task.tags_words:
        raise InputError(
            say("this run tags words: its answer is a tag per word already, shown with its "
                "prediction; 'Why?' explains runs that label or score a whole text")
        )  # fmt: skip
    row = task.row({"text": text or "", "text_pair": text_pair})  # a pair's both texts
    texts = list(row) if "text_pair" in task.inputs else [row]
    units = units_of(texts, max_words)
    adapter = predictor.load(adapter_folder)
    logits = predictor.row_logits(adapter, _variants(texts, units))
    measured, prediction = _measure(task, logits, list(adapter.label_names), adapter.meta)
    drops = (measured[0] - measured[1:]).tolist()
    length = len(adapter.tokenizer(*texts, truncation=False)["input_ids"])
    words = [texts[part][start:end] for part, start, end in units]
    return {
        "kind": task.label_kind,
        **prediction,
        "texts": texts,
        "words": list(zip(words, drops, strict=True)),
        "spans": [(start, end) for _, start, end in units],
        "parts": [part for part, _, _ in units],
        "truncated": length > adapter.max_length,
    }
