"""What the Monitor shows, as Gradio outputs: the curves, progress bar, status line, run table,
run picker and settings diff of the runs shown, drawn from the store.

The page clock polls while the tab is shown: the metric rows after the last step seen are read,
and when nothing is new every output is ``gr.skip()``, so the figure is not replaced and a zoom
survives. A new page (reload, second browser) re-attaches to the running job and redraws it.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.shared.actions import active_run_id
from app.shared.state import AppState
from app.tabs.monitor.plots import training_figure
from app.tabs.monitor.runs import (
    LIVE,
    TABLE_LIMIT,
    attached_run_ids,
    config_diff,
    fetch_rows,
    new_view,
    progress_html,
    run_label,
    runs_table,
    signature,
    status_text,
)

OUTPUTS = ("plot", "progress", "status", "table", "select", "diff", "view")


def render(
    state: AppState, view: dict[str, Any], runs: list[dict[str, Any]], keep_pick: bool = False
) -> tuple:
    """Every output of the tab from the view (selected runs and their rows). ``keep_pick``: the
    run picker gets its choices only, not a value, so a redraw cannot undo what the person is
    picking at that moment (the clock's redraw of the same runs)."""
    by_id = {run["id"]: run for run in runs}
    chosen = [by_id[i] for i in view["runs"] if i in by_id]
    figure = training_figure(
        {run_label(r): view["rows"].get(r["id"], []) for r in chosen}, state.lang
    )
    first = chosen[0] if chosen else None
    rows = view["rows"].get(first["id"], []) if first else []
    choices = [(run_label(r), r["id"]) for r in runs]
    return (
        figure,
        progress_html(state, first, rows),
        status_text(state, first),
        runs_table(state, runs),
        gr.update(choices=choices)
        if keep_pick
        else gr.update(choices=choices, value=[r["id"] for r in chosen]),
        config_diff(state, chosen),
        view,
    )


def show_runs(state: AppState, view: dict[str, Any] | None, run_ids: list[int]) -> tuple:
    """Select ``run_ids``: load their whole curves from the store and redraw everything."""
    view = new_view() if view is None else view
    view["runs"] = [int(i) for i in run_ids or []]
    view["rows"] = {i: state.store.read_metrics(i) for i in view["runs"]}
    runs = state.store.list_runs(limit=TABLE_LIMIT)
    view["sig"] = signature(runs)
    return render(state, view, runs)


def attach(state: AppState) -> tuple:
    """A new page: follow the running job (or show the latest run), drawn from the store."""
    return show_runs(state, new_view(), attached_run_ids(state))


def poll(state: AppState, view: dict[str, Any] | None) -> tuple:
    """One refresh: new metric rows or status changes redraw; otherwise skip every output."""
    if view is None:
        return attach(state)
    runs = state.store.list_runs(limit=TABLE_LIMIT)
    drawn = signature(runs)
    running = active_run_id(state)
    if view["follow"] and running is not None and view["runs"] != [running]:
        return show_runs(state, view, [running])
    statuses = dict(drawn)
    previous = dict(view["sig"] or [])
    new_rows = 0
    for run_id in view["runs"]:
        if statuses.get(run_id) in LIVE or statuses.get(run_id) != previous.get(run_id):
            new_rows += fetch_rows(state, view, run_id)
    if not new_rows and drawn == view["sig"]:
        return tuple(gr.skip() for _ in OUTPUTS)
    view["sig"] = drawn
    return render(state, view, runs, keep_pick=True)  # the same runs: the picker is the person's
