"""The Compare tab's results, without Gradio: finished runs side by side, and their score on a
dataset they were not trained on (generalisation).

The table and the chart come from :func:`core.analysis.compare.compare_rows`, which reads the
store, each run scored by its task's score (accuracy as before; macro-F1, Pearson or entity F1
with its name); a generalisation result is computed once per run and dataset and then kept in
the store, so it shows again after a reload until the same dataset is evaluated again.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from app.i18n.scores import score_text
from app.shared import confine
from app.shared.errors import plain
from app.shared.state import AppState
from app.tabs.compare.plots import (
    by_accuracy,
    comparison_figure,
    dev_value,
    metric_names,
    transfer_value,
)
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
from core.tasks import AUTO, get_task
from core.training.artifacts import input_task
from core.training.recording import adapter_folder
from storage.errors import StorageError

MAX_ROWS = next(f for f in dataclasses.fields(TransferConfig) if f.name == "max_rows")
DEFAULT_MAX_ROWS: int = TransferConfig().max_rows


def comparison_table(state: AppState, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The comparison as a DataFrame with headers in the app's language, its scores titled with
    the name the runs share; runs not all judged by accuracy show each score with its name."""
    keys, cells = compare_table(rows)
    if not by_accuracy(rows):
        for row, line in zip(rows, cells, strict=True):
            for i, key in enumerate(keys):
                dataset = key.partition(":")[2]
                if key == "dev" or dataset:
                    value = transfer_value(row, dataset) if dataset else dev_value(row)
                    line[i] = score_text(value, row.get("task"), state.lang)
    names = metric_names(rows, state.lang)
    headers = [
        state.text(f"cmp_col_{key}", **names)
        if key in COLUMNS
        else state.text("cmp_col_transfer", dataset=dataset_label(key.partition(":")[2]), **names)
        for key in keys
    ]
    return pd.DataFrame(cells, columns=headers)


def with_tasks(state: AppState, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` each with its run's ``task`` (as its metrics name it; older runs: none)."""
    return [
        {**row, "task": (state.store.get_run(row["run_id"]).get("metrics") or {}).get("task")}
        for row in rows
    ]


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
    rows = with_tasks(state, compare_rows(state.store, [int(i) for i in run_ids]))
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
        cap = TransferConfig(max_rows=int(max_rows or DEFAULT_MAX_ROWS)).max_rows
        confine.require_data(state, dataset)  # only datasets the app serves are read
        bundle = load_transfer_data(str(dataset), chosen_task(state, run_ids))
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


def chosen_task(state: AppState, run_ids: Sequence[int]) -> str:
    """The task a second dataset is read as: the runs' task when they share one that ``auto``
    cannot find in data (a score), else auto."""
    tasks = set()
    for run_id in run_ids:
        with contextlib.suppress(PTuneError, StorageError):  # its evaluation says why
            tasks.add(input_task(adapter_folder(state.store, int(run_id))).name)
    if len(tasks) == 1 and not get_task(next(iter(tasks))).auto_detected:
        return tasks.pop()
    return AUTO


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
