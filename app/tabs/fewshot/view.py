"""What the Few-shot tab shows of one experiment, through the shared group view
(:mod:`app.shared.group_view`): its status line, the learning-curve table, every run, the figure,
and Resume (usable when the experiment ended early with points left to train).
"""

from __future__ import annotations

from typing import Any

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
OUTPUTS = FEWSHOT.outputs


def choices(state: AppState) -> list[tuple[str, int]]:
    """Few-shot experiments for the picker, newest first (sweeps have their own tab)."""
    return group_view.choices(FEWSHOT, state)


def show(state: AppState, view: dict[str, Any] | None, experiment_id: Any) -> tuple:
    """Every output of the tab for one experiment (the empty view when there is none)."""
    return group_view.show(FEWSHOT, state, view, experiment_id)


def attach(state: AppState) -> tuple:
    """A new page: follow the experiment running here, else show the latest one."""
    return group_view.attach(FEWSHOT, state)


def poll(state: AppState, view: dict[str, Any] | None) -> tuple:
    """One refresh: redraw what changed; ``gr.skip()`` for every output left as it was."""
    return group_view.poll(FEWSHOT, state, view)
