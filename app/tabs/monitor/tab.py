"""Monitor tab: live curves of the running job, the run table and run comparison.

A ``gr.Timer`` polls the store for metric rows after the last step seen; when nothing is new it
returns ``gr.skip()`` for every output, so the figure is not replaced and a zoom survives. A new
page (reload, second browser) re-attaches to the running job and redraws it from the store.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import gradio as gr
import pandas as pd

from app.actions import active_run_id, stop_training
from app.diagnose_view import build_diagnose_view
from app.errors import friendly
from app.estimate import duration
from app.i18n import t
from app.plots import training_figure
from app.queue_view import build_queue_view, wire_queue_view
from app.state import AppState

POLL_SECONDS = 1.5
TABLE_LIMIT = 200
LIVE = ("queued", "running")
OUTPUTS = ("plot", "progress", "status", "table", "select", "diff", "view")


# ----------------------------------------------------------------------------- data
def run_label(run: dict[str, Any]) -> str:
    return f"#{run['id']} {run['name']}"


def _seconds(run: dict[str, Any]) -> float | None:
    if not run.get("started_at"):
        return None
    start = datetime.fromisoformat(run["started_at"])
    end = datetime.fromisoformat(run["finished_at"]) if run.get("finished_at") else None
    return ((end or datetime.now(timezone.utc)) - start).total_seconds()


def runs_table(state: AppState, runs: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run: id, name, status, method, accuracy, duration, error."""
    rows = []
    for run in runs:
        accuracy = (run.get("metrics") or {}).get("eval_accuracy")
        seconds = _seconds(run)
        rows.append([
            run["id"], run["name"], state.translate(run["status"]), run["method"],
            "" if accuracy is None else f"{accuracy:.3f}",
            "" if seconds is None else duration(seconds), state.translate(run.get("error") or ""),
        ])  # fmt: skip
    keys = ("col_id", "col_name", "col_status", "col_method", "col_accuracy", "col_duration")
    columns = [state.text(k) for k in (*keys, "col_error")]
    return pd.DataFrame(rows, columns=columns)


def flatten(config: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in config.items() if k != "method_options"}
    for key, value in (config.get("method_options") or {}).items():
        flat[f"{config.get('method')}.{key}"] = value
    return flat


def config_diff(state: AppState, runs: list[dict[str, Any]]) -> pd.DataFrame:
    """The settings whose values differ between ``runs``: one row per setting."""
    setting = state.text("setting")
    if len(runs) < 2:
        return pd.DataFrame({setting: [state.text("need_two")]})
    flats = [flatten(run.get("config") or {}) for run in runs]
    keys = [k for k in dict.fromkeys(k for flat in flats for k in flat) if k != "out"]
    differing = [k for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1]
    if not differing:
        return pd.DataFrame({setting: [state.text("no_difference")]})
    table = {setting: differing}
    for run, flat in zip(runs, flats, strict=True):
        table[run_label(run)] = ["" if flat.get(k) is None else str(flat.get(k)) for k in differing]
    return pd.DataFrame(table)


def merge_rows(known: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> int:
    """Add the rows of ``fresh`` not yet in ``known``; how many were new."""
    seen = {(r["step"], r["split"], r["name"]) for r in known}
    new = [r for r in fresh if (r["step"], r["split"], r["name"]) not in seen]
    known.extend(new)
    return len(new)


def fetch_rows(state: AppState, view: dict[str, Any], run_id: int) -> int:
    """Read the run's rows from the last step seen on (that step again: eval rows come after
    the train row of the same step); how many were new."""
    known = view["rows"].setdefault(run_id, [])
    last = max((r["step"] for r in known), default=0)
    return merge_rows(known, state.store.read_metrics(run_id, since_step=last - 1))


# ----------------------------------------------------------------------------- view
def new_view() -> dict[str, Any]:
    return {"runs": [], "rows": {}, "sig": None, "follow": True}


def latest(rows: list[dict[str, Any]], split: str, name: str) -> float | None:
    values = [r["value"] for r in rows if r["split"] == split and r["name"] == name]
    return values[-1] if values else None


def progress_html(state: AppState, run: dict[str, Any] | None, rows: list[dict[str, Any]]) -> str:
    """A progress bar with step, percentage and ETA of one run."""
    if run is None:
        return ""
    progress = latest(rows, "train", "progress") or 0.0
    total = int(latest(rows, "train", "total_steps") or 0)
    step = int(max((r["step"] for r in rows), default=0))
    if run["status"] in LIVE:
        eta = duration(latest(rows, "train", "eta_seconds") or 0)
        words = state.text(
            "eta", step=step, total=total or "?", percent=int(progress * 100), eta=eta
        )
    else:
        progress = 1.0 if run["status"] == "succeeded" else progress
        words = state.text("done", step=step, total=total or step)
    color = {"failed": "#dc2626", "stopped": "#ea580c"}.get(run["status"], "#2563eb")
    return (
        '<div style="background:#e5e7eb;border-radius:6px;height:14px;overflow:hidden">'
        f'<div style="width:{progress:.1%};background:{color};height:100%"></div></div>'
        f'<div style="font-size:0.9em;margin-top:4px">{html.escape(words)}</div>'
    )


def status_text(state: AppState, run: dict[str, Any] | None) -> str:
    if run is None:
        return state.text("no_runs")
    if run["status"] == "failed":
        return state.text(
            "status_error", run_id=run["id"], error=state.translate(run.get("error") or "?")
        )
    return state.text(
        "status_line",
        run_id=run["id"],
        name=run["name"],
        method=run["method"],
        status=state.translate(run["status"]),
    )


def render(state: AppState, view: dict[str, Any], runs: list[dict[str, Any]]) -> tuple:
    """Every output of the tab from the view (selected runs and their rows)."""
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
        gr.update(choices=choices, value=[r["id"] for r in chosen]),
        config_diff(state, chosen),
        view,
    )


def _signature(runs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(run["id"], run["status"]) for run in runs]


def show_runs(state: AppState, view: dict[str, Any] | None, run_ids: list[int]) -> tuple:
    """Select ``run_ids``: load their whole curves from the store and redraw everything."""
    view = new_view() if view is None else view
    view["runs"] = [int(i) for i in run_ids or []]
    view["rows"] = {i: state.store.read_metrics(i) for i in view["runs"]}
    runs = state.store.list_runs(limit=TABLE_LIMIT)
    view["sig"] = _signature(runs)
    return render(state, view, runs)


def toggle(view: dict[str, Any] | None, run_id: Any) -> list[int]:
    """The selection with ``run_id`` added, or removed when it was already shown."""
    shown = list((view or {}).get("runs") or [])
    run_id = int(run_id)
    return [i for i in shown if i != run_id] if run_id in shown else [*shown, run_id]


def attach(state: AppState) -> tuple:
    """A new page: follow the running job (or show the latest run), drawn from the store."""
    running = active_run_id(state)
    runs = state.store.list_runs(limit=1)
    ids = [running] if running is not None else [r["id"] for r in runs]
    return show_runs(state, new_view(), ids)


def poll(state: AppState, view: dict[str, Any] | None) -> tuple:
    """One timer tick: new metric rows or status changes redraw; otherwise skip every output."""
    if view is None:
        return attach(state)
    runs = state.store.list_runs(limit=TABLE_LIMIT)
    signature = _signature(runs)
    running = active_run_id(state)
    if view["follow"] and running is not None and view["runs"] != [running]:
        return show_runs(state, view, [running])
    statuses = dict(signature)
    previous = dict(view["sig"] or [])
    new_rows = 0
    for run_id in view["runs"]:
        if statuses.get(run_id) in LIVE or statuses.get(run_id) != previous.get(run_id):
            new_rows += fetch_rows(state, view, run_id)
    if not new_rows and signature == view["sig"]:
        return tuple(gr.skip() for _ in OUTPUTS)
    view["sig"] = signature
    return render(state, view, runs)


# ----------------------------------------------------------------------------- layout


@dataclass
class MonitorTab:
    """The Monitor tab's components and the handlers other tabs chain to."""

    status: Any = None
    progress: Any = None
    plot: Any = None
    select: Any = None
    table: Any = None
    diff: Any = None
    timer: Any = None
    view: Any = None
    on_started: Any = None
    outputs: Any = None


def build_monitor_tab(state: AppState, demo: gr.Blocks) -> MonitorTab:
    """Lay out the Monitor tab and wire its timer; returns its :class:`MonitorTab`."""
    c = MonitorTab()
    c.view = gr.State(None)
    c.status = gr.Markdown(elem_id="monitor-status")
    c.progress = gr.HTML(elem_id="monitor-progress")
    c.plot = gr.Plot(label=t("monitor_plot"), elem_id="monitor-plot")
    with gr.Row():
        c.select = gr.Dropdown(
            multiselect=True, label=t("monitor_select"), info=t("monitor_select_info"),
            elem_id="monitor-select", scale=4,
        )  # fmt: skip
        refresh = gr.Button(t("monitor_refresh"), elem_id="monitor-refresh", scale=1)
        stop = gr.Button(t("monitor_stop"), variant="stop", elem_id="monitor-stop", scale=1)
    queue = build_queue_view()
    c.table = gr.Dataframe(
        label=t("monitor_runs"),
        interactive=False,
        wrap=True,
        elem_id="monitor-runs",
        max_height=320,
    )
    c.diff = gr.Dataframe(label=t("monitor_diff"), interactive=False, elem_id="monitor-diff")
    build_diagnose_view(state, demo)
    c.timer = gr.Timer(POLL_SECONDS)
    _wire(state, demo, c, refresh, stop)
    wire_queue_view(state, demo, queue, c.select, c.on_started, c.outputs)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: MonitorTab, refresh: Any, stop: Any) -> None:
    guard = friendly(state.lang)
    outputs = [getattr(c, name) for name in OUTPUTS]
    private = {"api_visibility": "private", "show_progress": "hidden"}

    @guard
    def on_load() -> tuple:
        return attach(state)

    @guard
    def on_tick(view: dict[str, Any] | None) -> tuple:
        return poll(state, view)

    @guard
    def on_select(view: dict[str, Any] | None, run_ids: list[int]) -> tuple:
        result = show_runs(state, view, run_ids)
        result[-1]["follow"] = False
        return result

    @guard
    def on_pick(view: dict[str, Any] | None, event: gr.SelectData) -> tuple:
        if not event.row_value or event.row_value[0] in ("", None):  # the empty placeholder
            return tuple(gr.skip() for _ in OUTPUTS)
        result = show_runs(state, view, toggle(view, event.row_value[0]))
        result[-1]["follow"] = False
        return result

    @guard
    def on_refresh(view: dict[str, Any] | None) -> tuple:
        return show_runs(state, view, (view or {}).get("runs") or [])

    @guard
    def on_stop() -> str:
        return stop_training(state)

    demo.load(on_load, None, outputs, **private)
    c.timer.tick(on_tick, c.view, outputs, **private)
    c.select.input(on_select, [c.view, c.select], outputs, **private)
    c.table.select(on_pick, c.view, outputs, **private)
    refresh.click(on_refresh, c.view, outputs, **private)
    stop.click(on_stop, None, c.status, **private)

    def on_started(run_id: int | None = None) -> tuple:
        """After a start or a resume: show that run (followed from then on), else the active."""
        return attach(state) if run_id is None else show_runs(state, new_view(), [run_id])

    c.on_started = guard(on_started)
    c.outputs = outputs
