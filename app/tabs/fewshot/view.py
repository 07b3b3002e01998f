"""What the Few-shot tab shows of one experiment, through the shared group view
(:mod:`app.shared.group_view`): its status line, the learning-curve table, every run, the figure,
and Resume (usable when the experiment ended early with points left to train).
"""

from __future__ import annotations

import gradio as gr

from app.shared import group_view
from app.shared.state import AppState
from app.tabs.fewshot.plots import fewshot_figure
from app.tabs.fewshot.tables import Outcome, curve_table, resumable, runs_table, status_text
from core import fewshot
from core.fewshot.run import KIND


def _results(state: AppState, experiment_id: int) -> Outcome:
    return fewshot.fewshot_results(state.store, experiment_id)


def _body(state: AppState, outcome: Outcome | None) -> tuple:
    return (curve_table(state, outcome), runs_table(state, outcome),
            fewshot_figure(outcome, state.lang))  # fmt: skip


def _controls(state: AppState, outcome: Outcome | None) -> tuple:
    return (gr.update(interactive=resumable(outcome)),)


FEWSHOT = group_view.GroupKind(
    kind=KIND, key="experiment_id", results=_results, status=status_text, body=_body,
    body_names=("table", "runs", "plot"), controls=_controls, control_names=("resume",),
)  # fmt: skip
