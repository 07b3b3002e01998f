"""Compare tab: finished runs side by side, and their accuracy on a dataset they were not trained
on (generalisation).

The results come from :mod:`app.tabs.compare.logic`. While the tab is shown the page clock keeps
its run picker up with the store (:mod:`app.shared.run_lists`), redrawing it only when the runs
changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from app.i18n import t
from app.shared.errors import friendly
from app.shared.run_lists import refresh_if_changed
from app.shared.state import AppState
from app.tabs.compare.logic import (
    DEFAULT_MAX_ROWS,
    MAX_ROWS,
    comparison_table,
    evaluate_generalisation,
    show_comparison,
    status_markdown,
)
from app.tabs.compare.view import refresh_lists
from app.tabs.contract import TabParts

POLL_SECONDS = 3.0
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
QUIET: dict[str, Any] = {**PRIVATE, "show_progress": "hidden"}


class CompareTab(TabParts):
    """The Compare tab: its components and handlers once built, and its part of the page's
    contract."""

    id = "compare"
    title = "tab_compare"
    poll_seconds = POLL_SECONDS
    state: AppState
    runs: Any
    refresh_button: Any
    show: Any
    dataset: Any
    max_rows: Any
    evaluate: Any
    status: Any
    table: Any
    plot: Any
    seen: Any
    on_refresh: Any
    on_compare: Any
    on_evaluate: Any

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        self.state = state
        self.seen = gr.State(None)
        _layout(state, self)
        _wire(state, self)
        lists = [self.runs, self.dataset]
        self.refresh_inputs = self.refresh_outputs = [self.seen, *lists]

    def refresh(self, *values: Any) -> tuple:
        seen, *lists = values
        return refresh_if_changed(self.state, seen, self.on_refresh, lists)


def build_compare_tab(state: AppState, demo: gr.Blocks) -> CompareTab:
    """Lay out the Compare tab and wire its events; returns its :class:`CompareTab`."""
    tab = CompareTab()
    tab.build(state, demo)
    return tab


def _layout(state: AppState, c: CompareTab) -> None:
    gr.Markdown(t("compare_intro"))
    with gr.Row():
        c.runs = gr.Dropdown(
            multiselect=True, label=t("compare_runs"), info=t("compare_runs_info"),
            elem_id="compare-runs", scale=4,
        )  # fmt: skip
        c.refresh_button = gr.Button(t("compare_refresh"), elem_id="compare-refresh", scale=1)
        c.show = gr.Button(t("compare_show"), variant="primary", elem_id="compare-show", scale=1)
    with gr.Row():
        c.dataset = gr.Dropdown(
            label=t("compare_dataset"), info=t("compare_dataset_info"), allow_custom_value=True,
            elem_id="compare-dataset", scale=3,
        )  # fmt: skip
        c.max_rows = gr.Number(
            value=DEFAULT_MAX_ROWS, minimum=MAX_ROWS.metadata["min"],
            maximum=MAX_ROWS.metadata["max"], precision=0, label=t("compare_max_rows"),
            info=t("compare_max_rows_info"), elem_id="compare-max-rows", scale=1,
        )  # fmt: skip
        c.evaluate = gr.Button(t("compare_evaluate"), elem_id="compare-evaluate", scale=1)
    c.status = gr.Markdown(elem_id="compare-status")
    c.table = gr.Dataframe(comparison_table(state, []), label=t("compare_table"),
                           interactive=False, wrap=True, elem_id="compare-table")  # fmt: skip
    c.plot = gr.Plot(label=t("compare_plot"), elem_id="compare-plot")


def _warn(warnings: Sequence[str]) -> None:
    for message in warnings:
        gr.Warning(message)


def _wire(state: AppState, c: CompareTab) -> None:
    guard = friendly(state.lang)

    @guard
    def on_refresh(selected: list[int] | None, dataset: str | None) -> tuple[Any, Any]:
        return refresh_lists(state, selected, dataset)

    @guard
    def on_compare(run_ids: list[int] | None) -> tuple[pd.DataFrame, go.Figure, str]:
        table, figure, warnings = show_comparison(state, run_ids)
        _warn(warnings)
        return table, figure, status_markdown(warnings)

    @guard
    def on_evaluate(
        run_ids: list[int] | None, dataset: str | None, max_rows: float | None
    ) -> tuple[pd.DataFrame, go.Figure, str]:
        table, figure, warnings, summary = evaluate_generalisation(
            state, run_ids, dataset, max_rows
        )
        _warn(warnings)
        return table, figure, status_markdown(warnings, summary)

    lists = [c.runs, c.dataset]
    results = [c.table, c.plot, c.status]
    c.refresh_button.click(on_refresh, lists, lists, **QUIET)
    c.runs.focus(on_refresh, lists, lists, **QUIET)
    c.show.click(on_compare, c.runs, results, **PRIVATE)
    c.evaluate.click(on_evaluate, [c.runs, c.dataset, c.max_rows], results, **PRIVATE)
    c.on_refresh, c.on_compare, c.on_evaluate = on_refresh, on_compare, on_evaluate
