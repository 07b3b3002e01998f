"""What the Compare tab's pickers offer, as Gradio outputs: the runs that can predict (keeping
the picked ones that still exist) and the datasets to evaluate them on."""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.shared.actions import run_choices
from app.shared.state import AppState, dataset_choices


def refresh_lists(
    state: AppState, selected: list[int] | None, dataset: str | None
) -> tuple[Any, Any]:
    """The run picker and the dataset picker, each keeping its choice."""
    choices = run_choices(state)
    ids = {value for _, value in choices}
    kept = [i for i in selected or [] if i in ids]
    datasets = dataset_choices(state)
    return gr.update(choices=choices, value=kept), gr.update(choices=datasets, value=dataset)
