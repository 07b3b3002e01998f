"""What Try it shows as Gradio outputs: its run pickers kept up with the runs that can predict,
and the "Prompt words" table (or a warning a person can act on)."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from app.shared.actions import run_choices
from app.shared.errors import EXPECTED, plain
from app.shared.state import AppState
from app.tabs.tryit.prompt_words import columns, prompt_run_choices, prompt_words


def _kept(value: int | None, ids: list[int]) -> int | None:
    return value if value in ids else (ids[0] if ids else None)


def refresh_lists(
    state: AppState, selected: list[int] | None, export: int | None, prompt_run: int | None
) -> tuple[Any, Any, Any]:
    """The run pickers (runs to judge with, run to export, prompt run) with the runs that can
    predict now, keeping each choice that still exists (else the newest run)."""
    choices = run_choices(state)
    ids = [value for _, value in choices]
    kept = [i for i in selected or [] if i in ids] or ids[:1]
    prompt = prompt_run_choices(state, choices)
    return (
        gr.update(choices=choices, value=kept),
        gr.update(choices=choices, value=_kept(export, ids)),
        gr.update(choices=prompt, value=_kept(prompt_run, [value for _, value in prompt])),
    )


def show_prompt_words(state: AppState, run_id: int | None, k: float | None = 5) -> tuple[Any, str]:
    """The "Prompt words" handler: table and note, or a warning and an empty table."""
    try:
        return prompt_words(state, run_id, k)
    except EXPECTED as exc:  # no run picked, or a run of another method
        gr.Warning(html.escape(plain(exc, state.lang)))
        return pd.DataFrame(columns=columns(state)), ""
