"""Looking inside runs in Try it: why each run predicted what it did, and a prompt's words.

"Why?" colours every word of the sentence by its occlusion attribution (green toward the run's
prediction, red against it), one block per run. "Prompt words" lists, for a prompt-method run,
the vocabulary words nearest each learned virtual token.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import gradio as gr
import pandas as pd

from app.errors import EXPECTED, plain
from app.i18n import t, text
from app.state import AppState, check_text_length
from core.analysis.explain import explain
from core.analysis.inspect_prompt import check_prompt_method, prompt_space
from core.analysis.inspect_prompt import nearest_words as nearest
from core.errors import InputError
from core.methods import prompt_methods
from core.training.recording import adapter_folder

GREEN = "22, 163, 74"
RED = "220, 38, 38"
MIN_SCALE = 0.05
"""Attributions are coloured relative to the run's largest, but never below this: a sentence
where no word matters much stays pale."""
CLOSE_SIMILARITY = 0.5
USUAL_NORMS = (0.5, 2.0)


# ----------------------------------------------------------------------------- why
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


# ----------------------------------------------------------------------------- prompt words
def prompt_run_choices(
    state: AppState, choices: Sequence[tuple[str, int]]
) -> list[tuple[str, int]]:
    """The ``choices`` whose runs were trained with a prompt method."""
    methods = {run["id"]: run["method"] for run in state.store.list_runs(limit=500)}
    return [(label, run_id) for label, run_id in choices if methods.get(run_id) in prompt_methods()]


def _columns(state: AppState) -> list[str]:
    return [state.text("col_virtual_token"), state.text("col_nearest"), state.text("col_norm")]


def prompt_note(state: AppState, run: str, method: str, tokens: Sequence[dict]) -> str:
    """What was compared, and whether the prompt sits near real words or has drifted away."""
    space = "prompt_space_embeddings" if prompt_space(method) == "input" else "prompt_space_keys"
    similarity = sum(token["words"][0]["similarity"] for token in tokens) / len(tokens)
    norm = sum(token["norm_ratio"] for token in tokens) / len(tokens)
    low, high = USUAL_NORMS
    close = similarity >= CLOSE_SIMILARITY and low <= norm <= high
    key = "prompt_close" if close else "prompt_drift"
    verdict = state.text(key, similarity=similarity, norm=norm)
    return f"{state.text(space, run=run)} {verdict}"


def prompt_words(state: AppState, run_id: int | None, k: float | None = 5) -> tuple[Any, str]:
    """A table of each virtual token's nearest words, and a note on how to read it."""
    if run_id is None:
        raise InputError(state.text("no_prompt_run"))
    run = state.store.get_run(int(run_id))
    check_prompt_method(run["method"])
    folder = adapter_folder(state.store, int(run_id))
    loaded = state.predictor().load(folder)
    tokens = nearest(folder, int(k or 5), loaded=loaded)
    rows = [
        [
            f"#{token['index'] + 1}",
            ", ".join(f"{w['word']} ({w['similarity']:.2f})" for w in token["words"]),
            f"{token['norm_ratio']:.2f}×",
        ]
        for token in tokens
    ]
    name = f"#{int(run_id)} {run['name']}"
    return pd.DataFrame(rows, columns=_columns(state)), prompt_note(
        state, name, run["method"], tokens
    )


def show_prompt_words(state: AppState, run_id: int | None, k: float | None = 5) -> tuple[Any, str]:
    """The "Prompt words" handler: table and note, or a warning and an empty table."""
    try:
        return prompt_words(state, run_id, k)
    except EXPECTED as exc:  # no run picked, or a run of another method
        gr.Warning(html.escape(plain(exc, state.lang)))
        return pd.DataFrame(columns=_columns(state)), ""


# ----------------------------------------------------------------------------- layout
def build_views() -> dict[str, Any]:
    """The "Why?" and "Prompt words" accordions; returns their components by name."""
    c: dict[str, Any] = {}
    with gr.Accordion(t("tryit_why"), open=False):
        gr.Markdown(t("tryit_why_legend"))
        c["why"] = gr.Button(t("tryit_why_button"), elem_id="tryit-why")
        c["why_out"] = gr.HTML(elem_id="tryit-why-out")
    with gr.Accordion(t("tryit_prompt_words"), open=False):
        with gr.Row():
            c["prompt_run"] = gr.Dropdown(
                label=t("tryit_prompt_run"), info=t("tryit_prompt_run_info"),
                elem_id="tryit-prompt-run",
            )  # fmt: skip
            c["prompt_k"] = gr.Slider(
                1, 20, value=5, step=1, label=t("tryit_prompt_k"), elem_id="tryit-prompt-k"
            )
            c["prompt_show"] = gr.Button(t("tryit_prompt_show"), elem_id="tryit-prompt-show")
        c["prompt_note"] = gr.Markdown(elem_id="tryit-prompt-note")
        c["prompt_table"] = gr.Dataframe(
            label=t("tryit_prompt_table"), interactive=False, elem_id="tryit-prompt-table"
        )
    return c
