"""Why each run predicted what it did: every word of a sentence coloured by its occlusion
attribution (green toward the run's prediction, red against it; for a score, green raised it and
red lowered it), one block per run; a run trained on text pairs shows both texts, each named.

Shared by Try it ("Why?") and the Monitor's "Where it goes wrong" (a clicked mistake's words).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import gradio as gr

from app.i18n import text
from app.shared.errors import EXPECTED, plain
from app.shared.state import AppState, check_text_length
from core.analysis.explain import explain
from core.errors import InputError
from core.training.artifacts import input_task
from core.training.recording import adapter_folder

GREEN = "22, 163, 74"
RED = "220, 38, 38"
MIN_SCALE = 0.05
"""Attributions are coloured relative to the run's largest, but never below this: a sentence
where no word matters much stays pale."""


def explain_runs(
    state: AppState, sentence: str | None, run_ids: Sequence[int] | None,
    text_pair: str | None = None,
) -> list:  # fmt: skip
    """One explanation per run (:func:`core.analysis.explain.explain`) with ``run``; a run
    trained on text pairs explains ``text_pair`` too (refused without it), a one-text run
    beside it the first text only."""
    if not run_ids:
        raise InputError(state.text("no_run_selected"))
    sentence = (sentence or "").strip()
    if not sentence:
        raise InputError(state.text("no_text"))
    check_text_length(state, sentence)
    pair = (text_pair or "").strip()
    if pair:
        check_text_length(state, pair)
    out = []
    for run_id in run_ids:
        folder = adapter_folder(state.store, int(run_id))
        second = pair if "text_pair" in input_task(folder).inputs else None
        result = explain(state.predictor(), folder, sentence, text_pair=second)
        name = state.store.get_run(int(run_id))["name"]
        out.append({**result, "run": f"#{int(run_id)} {name}"})
    return out


def _tip(score: float, kind: str, lang: str) -> str:
    if kind == "number":
        return text("why_tip_score", lang, change=score)
    return text("why_tip", lang, points=score * 100)


def _word(word: str, score: float, scale: float, tip: str) -> str:
    strength = min(1.0, abs(score) / scale)
    color = GREEN if score > 0 else RED
    shade = f"rgba({color}, {0.75 * strength:.2f})"
    style = f"background: {shade}; border-radius: 4px; padding: 1px 2px"
    return (
        f'<span style="{style}" title="{html.escape(tip, quote=True)}">{html.escape(word)}</span>'
    )


def coloured_text(result: dict[str, Any], lang: str = "en", part: int = 0) -> str:
    """Text ``part`` of the explained input (0: the first, 1: a pair's second) as HTML, each
    word's background coloured by its attribution, relative to the largest of both texts."""
    sentence = (result.get("texts") or [result.get("text", "")])[part]
    parts = result.get("parts") or [0] * len(result["spans"])
    kind = result.get("kind", "class")
    scale = max([MIN_SCALE] + [abs(score) for _, score in result["words"]])
    pieces, position = [], 0
    for (start, end), (word, score), at in zip(
        result["spans"], result["words"], parts, strict=True
    ):
        if at != part:
            continue
        pieces.append(html.escape(sentence[position:start]))
        pieces.append(_word(word, score, scale, _tip(score, kind, lang)))
        position = end
    pieces.append(html.escape(sentence[position:]))
    return "".join(pieces)


def _head(result: dict[str, Any], lang: str) -> str:
    """A run's prediction as the block's first line, by the kind of its answer."""
    run = html.escape(result["run"])
    if result.get("kind") == "number":
        return text("why_head_score", lang, run=run, value=html.escape(result["label"]))
    if result.get("kind") == "set":
        labels = ", ".join(f"{html.escape(name)} ({p:.0%})" for name, p in result["toward"])
        key = "why_head_labels" if result["label"] else "why_head_no_label"
        return text(key, lang, run=run, labels=labels)
    return text("why_head", lang, run=run, label=html.escape(str(result["label"])),
                probability=f"{result['probability']:.0%}")  # fmt: skip


def _body(result: dict[str, Any], lang: str) -> str:
    """The coloured input: one paragraph, or each text of a pair under its name."""
    style = "white-space: pre-wrap; line-height: 2"
    texts = result.get("texts") or [result.get("text", "")]
    if len(texts) == 1:
        return f'<p style="{style}">{coloured_text(result, lang)}</p>'
    return "".join(
        f'<p style="{style}"><small><b>{text("why_part", lang, n=part + 1)}</b></small> '
        f"{coloured_text(result, lang, part)}</p>"
        for part in range(len(texts))
    )


def why_html(results: Sequence[dict[str, Any]], lang: str = "en") -> str:
    """One block per run: its prediction, then the coloured input."""
    blocks = []
    for result in results:
        note = f"<p><small>{text('why_truncated', lang)}</small></p>" if result["truncated"] else ""
        blocks.append(
            f'<div class="ptune-why">{_head(result, lang)}{_body(result, lang)}{note}</div>'
        )
    return "".join(blocks)


def show_why(
    state: AppState, sentence: str | None, run_ids: Sequence[int] | None,
    text_pair: str | None = None,
) -> str:  # fmt: skip
    """The "Why?" handler: the HTML, or a warning and nothing for input it cannot explain."""
    try:
        return why_html(explain_runs(state, sentence, run_ids, text_pair), state.lang)
    except EXPECTED as exc:  # no run, no text, too many words, a tagger: the person can fix it
        gr.Warning(html.escape(plain(exc, state.lang)))
        return ""
