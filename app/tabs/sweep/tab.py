"""Sweep tab: a grid of prompt length x learning rate, run one after another, with results.

The form (:mod:`app.tabs.sweep.logic`) starts a sweep (:mod:`core.sweep.run`); while the tab is
shown the page clock refreshes it (:mod:`app.tabs.sweep.view`), redrawing the table and the figure
only when a run of the sweep changed, so a zoom survives. Past sweeps are re-opened from the
database, and a new page follows the sweep running in this process.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.i18n import t
from app.shared import forms
from app.shared.group_view import PRIVATE, GroupWiring, outputs_of, wire_group
from app.shared.state import DEMO_DATA, AppState, dataset_choices
from app.tabs.contract import TabParts
from app.tabs.sweep.logic import DEFAULT_BUDGET_MINUTES, FORM, lrs_text, start_sweep, stop_sweep
from app.tabs.sweep.view import SWEEP
from core import sweep
from core.methods import METHODS

POLL_SECONDS = 2.0


class SweepTab(TabParts):
    """The Sweep tab: its components once built, and its part of the page's contract."""

    id = "sweep"
    title = "tab_sweep"
    poll_seconds = POLL_SECONDS
    state: AppState
    view: Any
    data: Any
    model: Any
    method: Any
    lengths: Any
    lrs: Any
    budget: Any
    max_steps: Any
    name: Any
    start: Any
    stop: Any
    past: Any
    status: Any
    plot: Any
    table: Any

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        self.state = state
        self.view = gr.State(None)
        gr.Markdown(t("sweep_intro"))
        with gr.Row():
            with gr.Column(scale=2):
                _form(state, self)
            with gr.Column(scale=3):
                self.past = gr.Dropdown(
                    label=t("sweep_past"), info=t("sweep_past_info"), elem_id="sweep-past"
                )
                self.status = gr.Markdown(elem_id="sweep-status")
                self.plot = gr.Plot(label=t("sweep_plot"), elem_id="sweep-plot")
                self.table = gr.Dataframe(
                    label=t("sweep_table"), interactive=False, wrap=True, elem_id="sweep-table"
                )
        wiring = GroupWiring(SWEEP, self, FORM, start_sweep, stop_sweep)
        wire_group(state, wiring)
        self.method.change(lrs_text, self.method, self.lrs, **PRIVATE)
        self.refresh_inputs, self.refresh_outputs = [self.view], outputs_of(wiring)

    def refresh(self, *values: Any) -> tuple:
        (view,) = values
        return SWEEP.poll(self.state, view)


def build_sweep_tab(state: AppState, demo: gr.Blocks) -> SweepTab:
    """Lay out the Sweep tab and wire it; returns its :class:`SweepTab`."""
    tab = SweepTab()
    tab.build(state, demo)
    return tab


def _form(state: AppState, c: SweepTab) -> None:
    method = (
        state.default_method
        if state.default_method in sweep.prompt_methods()
        else (sweep.prompt_methods()[-1])
    )
    c.data = gr.Dropdown(
        choices=dataset_choices(state),
        value=str(DEMO_DATA),
        label=t("sweep_dataset"),
        allow_custom_value=True,
        elem_id="sweep-dataset",
    )
    c.model = gr.Textbox(value=state.default_model, label=t("sweep_model"), elem_id="sweep-model")
    c.method = gr.Radio(
        choices=[(METHODS[name].title_in(state.lang), name) for name in sweep.prompt_methods()],
        value=method,
        label=t("sweep_method"),
        elem_id="sweep-method",
    )
    c.lengths = gr.Textbox(
        value=",".join(map(str, sweep.DEFAULT_LENGTHS)),
        label=t("sweep_lengths"),
        info=t("sweep_lengths_info"),
        elem_id="sweep-lengths",
    )
    c.lrs = gr.Textbox(
        value=lrs_text(method), label=t("sweep_lrs"), info=t("sweep_lrs_info"), elem_id="sweep-lrs"
    )
    with gr.Row():
        c.budget = forms.range_number(
            value=DEFAULT_BUDGET_MINUTES,
            minimum=0.1,
            maximum=10_000,
            step=0.5,
            label=t("sweep_budget"),
            info=t("sweep_budget_info"),
            elem_id="sweep-budget",
        )
        c.max_steps = gr.Textbox(
            label=t("sweep_max_steps"),
            info=t("sweep_max_steps_info"),
            placeholder=t("empty_default"),
            elem_id="sweep-max-steps",
        )
    c.name = gr.Textbox(label=t("sweep_name"), elem_id="sweep-name")
    with gr.Row():
        c.start = gr.Button(t("sweep_start"), variant="primary", elem_id="sweep-start")
        c.stop = gr.Button(t("sweep_stop"), variant="stop", elem_id="sweep-stop")
