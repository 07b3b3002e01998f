"""Try it's "Prompt words", without Gradio: for a prompt-method run, the vocabulary words
nearest each learned virtual token, and a note on whether the prompt sits near real words or has
drifted away from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from app.shared.state import AppState
from core.analysis.inspect_prompt import check_prompt_method, prompt_space
from core.analysis.inspect_prompt import nearest_words as nearest
from core.errors import InputError
from core.methods import prompt_methods
from core.training.recording import adapter_folder

CLOSE_SIMILARITY = 0.5
USUAL_NORMS = (0.5, 2.0)


def prompt_run_choices(
    state: AppState, choices: Sequence[tuple[str, int]]
) -> list[tuple[str, int]]:
    """The ``choices`` whose runs were trained with a prompt method."""
    methods = {run["id"]: run["method"] for run in state.store.list_runs(limit=500)}
    return [(label, run_id) for label, run_id in choices if methods.get(run_id) in prompt_methods()]


def columns(state: AppState) -> list[str]:
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
    return pd.DataFrame(rows, columns=columns(state)), prompt_note(
        state, name, run["method"], tokens
    )
