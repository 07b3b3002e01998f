"""Compare tab: finished runs side by side, and their accuracy on a dataset they were not trained
on (generalisation).

The table and the chart come from :func:`core.analysis.compare.compare_rows`, which reads the
store; a generalisation result is computed once per run and dataset and then kept in the store,
so it shows again after a reload until the same dataset is evaluated again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from app import confine
from app.actions import run_choices
from app.compare_plots import comparison_figure
from app.errors import friendly, plain
from app.i18n import t
from app.run_lists import watch_runs
from app.state import AppState, dataset_choices
from core.analysis.compare import (
    COLUMNS,
    PREDICTABLE,
    TransferConfig,
    compare_rows,
    compare_table,
    dataset_label,
    evaluate_transfer,
    load_transfer_data,
)
from core.errors import PTuneError
from storage.errors import StorageError

MAX_ROWS = next(f for f in dataclasses.fields(TransferConfig) if f.name == "max_rows")


# ----------------------------------------------------------------------------- handlers
def comparison_table(state: AppState, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The comparison as a DataFrame with headers in the app's language."""
    keys, cells = compare_table(rows)
    headers = [
        state.text(f"cmp_col_{key}")
        if key in COLUMNS
        else state.text("cmp_col_transfer", dataset=dataset_label(key.partition(":")[2]))
        for key in keys
    ]
    return pd.DataFrame(cells, columns=headers)


def show_comparison(
    state: AppState, run_ids: Sequence[int] | None
) -> tuple[pd.DataFrame, go.Figure, list[str]]:
    """Table, chart and warnings for the picked runs; runs without results are left out."""
    if not run_ids:
        return (
            comparison_table(state, []),
            comparison_figure([], state.lang),
            [state.text("cmp_none_picked")],
        )
    rows = compare_rows(state.store, [int(i) for i in run_ids])
    shown = [row for row in rows if row["status"] in PREDICTABLE]
    warnings = [
        state.text(
            "cmp_no_results",
            run_id=row["run_id"],
            name=row["name"],
            status=state.translate(row["status"]),
        )
        for row in rows
        if row["status"] not in PREDICTABLE
    ]
    return comparison_table(state, shown), comparison_figure(shown, state.lang), warnings


def _evaluate_runs(
    state: AppState, run_ids: Sequence[int], dataset: str | None, max_rows: float | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """(results, warnings): each run evaluated on ``dataset``; a run that cannot be gives a
    warning and the others go on."""
    if not (dataset or "").strip():
        return [], [state.text("cmp_no_dataset")]
    try:
        cap = TransferConfig(max_rows=int(max_rows or MAX_ROWS.default)).max_rows
        confine.require_data(state, dataset)  # only datasets the app serves are read
        bundle = load_transfer_data(str(dataset))
    except (PTuneError, StorageError) as exc:
        return [], [plain(exc, state.lang)]
    done, warnings = [], []
    for run_id in run_ids:
        try:
            done.append(
                evaluate_transfer(
                    state.store, int(run_id), bundle, max_rows=cap, predictor=state.predictor()
                )
            )
        except (PTuneError, StorageError) as exc:  # other labels, its own training data, ...
            warnings.append(plain(exc, state.lang))
    return done, warnings


def evaluate_generalisation(
    state: AppState, run_ids: Sequence[int] | None, dataset: str | None, max_rows: float | None
) -> tuple[pd.DataFrame, go.Figure, list[str], str]:
    """Evaluate the picked finished runs on ``dataset``, then redraw the comparison:
    (table, chart, warnings, what was evaluated)."""
    ids = [int(i) for i in run_ids or []]
    finished = [i for i in ids if state.store.get_run(i)["status"] in PREDICTABLE]
    done, warnings = _evaluate_runs(state, finished, dataset, max_rows) if finished else ([], [])
    table, figure, more = show_comparison(state, ids)
    summary = ""
    if done:
        summary = state.text(
            "cmp_transfer_done",
            count=len(done),
            dataset=done[0]["label"],
            rows=done[0]["rows"],
            split=done[0]["split"],
        )
    return table, figure, warnings + more, summary


def status_markdown(warnings: Sequence[str], summary: str = "") -> str:
    lines = [f"- {w}" for w in warnings]
    return "\n".join(([summary] if summary else []) + lines)


def _warn(warnings: Sequence[str]) -> None:
    for message in warnings:
        gr.Warning(message)


# ----------------------------------------------------------------------------- layout


@dataclass
class CompareTab:
    """The Compare tab's components and its handlers."""

    runs: Any = None
    refresh: Any = None
    show: Any = None
    dataset: Any = None
    max_rows: Any = None
    evaluate: Any = None
    status: Any = None
    table: Any = None
    plot: Any = None
    on_refresh: Any = None
    on_compare: Any = None
    on_evaluate: Any = None


def build_compare_tab(state: AppState, demo: gr.Blocks) -> CompareTab:
    """Lay out the Compare tab and wire its events; returns its :class:`CompareTab`."""
    c = CompareTab()
    gr.Markdown(t("compare_intro"))
    with gr.Row():
        c.runs = gr.Dropdown(
            multiselect=True,
            label=t("compare_runs"),
            info=t("compare_runs_info"),
            elem_id="compare-runs",
            scale=4,
        )
        c.refresh = gr.Button(t("compare_refresh"), elem_id="compare-refresh", scale=1)
        c.show = gr.Button(t("compare_show"), variant="primary", elem_id="compare-show", scale=1)
    with gr.Row():
        c.dataset = gr.Dropdown(
            label=t("compare_dataset"),
            info=t("compare_dataset_info"),
            allow_custom_value=True,
            elem_id="compare-dataset",
            scale=3,
        )
        c.max_rows = gr.Number(
            value=MAX_ROWS.default,
            minimum=MAX_ROWS.metadata["min"],
            maximum=MAX_ROWS.metadata["max"],
            precision=0,
            label=t("compare_max_rows"),
            info=t("compare_max_rows_info"),
            elem_id="compare-max-rows",
            scale=1,
        )
        c.evaluate = gr.Button(t("compare_evaluate"), elem_id="compare-evaluate", scale=1)
    c.status = gr.Markdown(elem_id="compare-status")
    c.table = gr.Dataframe(
        label=t("compare_table"), interactive=False, wrap=True, elem_id="compare-table"
    )
    c.plot = gr.Plot(label=t("compare_plot"), elem_id="compare-plot")
    _wire(state, demo, c)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: CompareTab) -> None:
    guard = friendly(state.lang)
    private = {"api_visibility": "private"}

    @guard
    def on_refresh(selected: list[int] | None, dataset: str | None) -> tuple[Any, Any]:
        choices = run_choices(state)
        ids = {value for _, value in choices}
        kept = [i for i in selected or [] if i in ids]
        datasets = dataset_choices(state)
        return gr.update(choices=choices, value=kept), gr.update(choices=datasets, value=dataset)

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
    quiet = {**private, "show_progress": "hidden"}
    demo.load(on_refresh, lists, lists, **quiet)
    c.refresh.click(on_refresh, lists, lists, **quiet)
    c.runs.focus(on_refresh, lists, lists, **quiet)
    watch_runs(state, on_refresh, lists, lists)
    c.show.click(on_compare, c.runs, results, **private)
    c.evaluate.click(on_evaluate, [c.runs, c.dataset, c.max_rows], results, **private)
    c.on_refresh = on_refresh
    c.on_compare = on_compare
    c.on_evaluate = on_evaluate
