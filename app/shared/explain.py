"""Why each run predicted what it did: every word of a sentence coloured by its occlusion
attribution (green toward the run's prediction, red against it), one block per run.

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
from core.training.recording import adapter_folder

GREEN = "22, 163, 74"
RED = "220, 38, 38"
MIN_SCALE = 0.05
"""Attributions are coloured relative to the run's largest, but never below this: a sentence
where no word matters much stays pale."""


def explain_runs(state: AppState, sentence: str | None, run_ids: Sequence[int] | None) -> list:
    """One explanation per run (:func:`core.analysis.explain.explain`) with ``run`` and ``text``."""
    if not run_ids:
        raise InputError(state.text("no_run_selected"))
    sentence = (sentence or "").strip()
    if not sentence:
        raise InputError(state.text("no_text"))
    check_text_length(state, sentence)
    out = []
    for run_id in run_ids:
        folder = adapter_folder(state.store, int(run_id))
        result = explain(state.predictor(), folder, sentence)
        name = state.store.get_run(int(run_id))["name"]
        out.append({**result, "run": f"#{int(run_id)} {name}", "text": sentence})
    return out


def _word(word: str, score: float, scale: float, lang: str) -> str:
    strength = min(1.0, abs(score) / scale)
    color = GREEN if score > 0 else RED
    tip = html.escape(text("why_tip", lang, points=score * 100), quote=True)
    shade = f"rgba({color}, {0.75 * strength:.2f})"
    style = f"background: {shade}; border-radius: 4px; padding: 1px 2px"
    return f'<span style="{style}" title="{tip}">{html.escape(word)}</span>'


def coloured_text(result: dict[str, Any], lang: str = "en") -> str:
    """The sentence as HTML, each word's background coloured by its attribution."""
    sentence = result["text"]
    scale = max([MIN_SCALE] + [abs(score) for _, score in result["words"]])
    pieces, position = [], 0
    for (start, end), (word, score) in zip(result["spans"], result["words"], strict=True):
        pieces.append(html.escape(sentence[position:start]))
        pieces.append(_word(word, score, scale, lang))
        position = end
    pieces.append(html.escape(sentence[position:]))
    return "".join(pieces)


def why_html(results: Sequence[dict[str, Any]], lang: str = "en") -> str:
    """One block per run: its prediction, then the coloured sentence."""
    blocks = []
    for result in results:
        head = text(
            "why_head",
            lang,
            run=html.escape(result["run"]),
            label=html.escape(str(result["label"])),
            probability=f"{result['probability']:.0%}",
        )
        note = f"<p><small>{text('why_truncated', lang)}</small></p>" if result["truncated"] else ""
        body = f'<p style="white-space: pre-wrap; line-height: 2">{coloured_text(result, lang)}</p>'
        blocks.append(f'<div class="ptune-why">{head}{body}{note}</div>')
    return "".join(blocks)


def show_why(state: AppState, sentence: str | None, run_ids: Sequence[int] | None) -> str:
    """The "Why?" handler: the HTML, or a warning and nothing for input it cannot explain."""
    try:
        return why_html(explain_runs(state, sentence, run_ids), state.lang)
    except EXPECTED as exc:  # no run, no text, too many words: the person can fix it
        gr.Warning(html.escape(plain(exc, state.lang)))
        return ""
