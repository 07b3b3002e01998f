"""Sweep tab: a grid of prompt length x learning rate, run one after another, with results.

The form starts a sweep (:mod:`core.sweep.run`); a ``gr.Timer`` polls the store and redraws the
table and the figure only when a run of the sweep changed, so a zoom survives. Past sweeps are
re-opened from the database, and a new page re-attaches to the sweep running in this process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from app import confine, forms
from app.errors import FormProblems, friendly
from app.estimate import duration
from app.i18n import t
from app.preflight import group_base, problem_sentence
from app.state import DEMO_DATA, AppState, dataset_choices
from app.sweep_plots import lr_label, sweep_figure
from core import sweep
from core.config import TrainConfig
from core.methods import METHODS
from core.training import jobs

POLL_SECONDS = 2.0
SWEEP_LIST_LIMIT = 100
DEFAULT_BUDGET_MINUTES = 1.0
OUTPUTS = ("status", "table", "plot", "past", "view")
FORM = ("data", "model", "method", "lengths", "lrs", "max_steps", "budget", "name")


# ----------------------------------------------------------------------------- form
def lrs_text(method: str) -> str:
    """The default learning rates of a prompt method, as the form shows them."""
    return ",".join(lr_label(lr) for lr in sweep.default_lrs(method))


def sweep_from_form(state: AppState, values: dict[str, Any]) -> sweep.SweepConfig:
    """The form as a checked SweepConfig; FormProblems lists every problem at once (paths the
    app does not serve among them, :mod:`app.confine`)."""
    base = forms.config_values(
        {
            "data": values.get("data"),
            "model": values.get("model"),
            "method": values.get("method"),
            "cfg_max_steps": values.get("max_steps"),
            "cfg_time_budget_minutes": values.get("budget"),
        }
    )
    base.pop("method_options", None)
    lengths, problems = sweep.read_values(values.get("lengths") or "", whole=True)
    if problems and not lengths:
        lengths = list(sweep.DEFAULT_LENGTHS)  # unreadable: check the rest against the defaults
    refused = confine.path_problems(state, base)
    problems = [*map(problem_sentence, refused), *problems]
    lrs, lr_problems = sweep.read_values(values.get("lrs") or "", whole=False)
    problems += lr_problems
    method, name = str(base.pop("method", "")), (values.get("name") or "").strip() or None
    checked_base, data_problems = group_base(state, base, refused)
    grid = sweep.sweep_problems(checked_base, method, lengths, lrs or None, name)
    problems += [*map(problem_sentence, grid), *data_problems]
    if problems:
        raise FormProblems(list(dict.fromkeys(problems)))
    return sweep.SweepConfig(
        base=TrainConfig(**base),
        method=method,
        lengths=tuple(lengths),
        lrs=tuple(lrs) if lrs else None,
        name=name,
    )


def start_sweep(state: AppState, values: dict[str, Any]) -> tuple[str, int]:
    """Check the form and start the sweep in the background; a status line and its id."""
    config = sweep_from_form(state, values)
    handle = sweep.start_sweep(state.store, config)
    budget = config.base.time_budget_minutes
    each = state.text("sweep_each", duration=duration(budget * 60)) if budget else ""
    return state.text(
        "sweep_started", sweep_id=handle.sweep_id, runs=handle.total, each=each
    ), handle.sweep_id


def stop_sweep(state: AppState) -> str:
    """Stop the running sweep: its current run stops and saves, no further run starts."""
    sweep_id = running_sweep_id()
    if sweep_id is None:  # a single run or a few-shot experiment: their own Stop
        return state.text("sweep_not_running")
    stopped = jobs.stop(target=jobs.group_target(sweep.KIND, sweep_id))
    if stopped is None:  # it ended meanwhile (and something else may have started)
        return state.text("sweep_not_running")
    return state.text("sweep_stopping", sweep_id=stopped.group_id)


# ----------------------------------------------------------------------------- results
def results_table(state: AppState, results: list[dict[str, Any]], best: Any) -> pd.DataFrame:
    """One row per run of the sweep; the best one marked in the first column."""
    best_id = best["run_id"] if best else None
    rows = []
    for r in results:
        accuracy, f1, seconds = r["eval_accuracy"], r["eval_f1"], r["train_seconds"]
        rows.append(
            [
                state.text("sweep_best_marker") if r["run_id"] == best_id else "",
                r["run_id"],
                r[sweep.LENGTH],
                "" if r["lr"] is None else lr_label(r["lr"]),
                state.translate(r["status"]),
                "" if accuracy is None else f"{accuracy:.4f}",
                "" if f1 is None else f"{f1:.4f}",
                "" if seconds is None else duration(seconds),
                state.translate(r.get("error") or ""),
            ]
        )
    keys = (
        "sweep_col_best",
        "col_id",
        "sweep_col_length",
        "sweep_col_lr",
        "col_status",
        "col_accuracy",
        "sweep_col_f1",
        "sweep_col_time",
        "col_error",
    )
    return pd.DataFrame(rows, columns=[state.text(k) for k in keys])


def _planned(outcome: dict[str, Any]) -> int:
    grid = outcome.get("grid") or {}
    return len(grid.get(sweep.LENGTH) or []) * len(grid.get("lr") or [])


def _current_step(state: AppState, run_id: int) -> str:
    last = state.store.last_step(run_id)
    rows = state.store.read_metrics(run_id, since_step=last - 1, split="train")
    total = [r["value"] for r in rows if r["name"] == "total_steps"]
    return state.text("sweep_step", step=max(last, 0), total=int(total[-1]) if total else "?")


def status_text(state: AppState, outcome: dict[str, Any] | None) -> str:
    """One line: the sweep, its status, how far it is, and its best run so far."""
    if outcome is None:
        return state.text("sweep_none")
    runs, best = outcome["runs"], outcome["best"]
    line = state.text(
        "sweep_line",
        sweep_id=outcome["sweep_id"],
        name=outcome["name"],
        method=outcome["method"],
        status=state.translate(outcome["status"]),
        done=sum(r["status"] not in ("queued", "running") for r in runs),
        total=_planned(outcome),
    )
    running = [r for r in runs if r["status"] == "running"]
    if outcome["status"] == "running" and running:
        r = running[-1]
        line += state.text(
            "sweep_current",
            run_id=r["run_id"],
            length=r[sweep.LENGTH],
            lr=lr_label(r["lr"]),
            step=_current_step(state, r["run_id"]),
        )
    if best:
        line += state.text(
            "sweep_best_so_far" if outcome["status"] == "running" else "sweep_best",
            run_id=best["run_id"],
            length=best[sweep.LENGTH],
            lr=lr_label(best["lr"]),
            accuracy=f"{best['eval_accuracy']:.4f}",
        )
    if outcome.get("error"):
        line += "\n\n" + state.text("sweep_error", error=state.translate(outcome["error"]))
    return line


def sweep_choices(state: AppState) -> list[tuple[str, int]]:
    """Past and running sweeps for the picker, newest first."""
    return [
        (f"#{s['id']} {s['name']} · {state.translate(s['status'])}", s["id"])
        for s in state.store.list_sweeps(limit=SWEEP_LIST_LIMIT, kind="sweep")
    ]


# ----------------------------------------------------------------------------- view
def new_view(sweep_id: int | None = None, follow: bool = True) -> dict[str, Any]:
    return {"sweep_id": sweep_id, "sig": None, "status": None, "follow": follow}


def _signature(outcome: dict[str, Any] | None) -> Any:
    if outcome is None:
        return None
    return (
        outcome["sweep_id"],
        outcome["status"],
        [(r["run_id"], r["status"]) for r in outcome["runs"]],
    )


def show_sweep(state: AppState, view: dict[str, Any] | None, sweep_id: int | None) -> tuple:
    """Every output of the tab for one sweep (or the empty view when ``sweep_id`` is None)."""
    view = new_view() if view is None else view
    view["sweep_id"] = None if sweep_id in (None, "") else int(sweep_id)
    outcome = (
        None if view["sweep_id"] is None else sweep.sweep_results(state.store, view["sweep_id"])
    )
    view["sig"], view["status"] = _signature(outcome), status_text(state, outcome)
    runs, best = (outcome["runs"], outcome["best"]) if outcome else ([], None)
    return (
        view["status"],
        results_table(state, runs, best),
        sweep_figure(runs, best, state.lang),
        gr.update(choices=sweep_choices(state), value=view["sweep_id"]),
        view,
    )


def running_sweep_id() -> int | None:
    """The sweep running in this process, if any: the one a new page follows."""
    active = jobs.current()  # a single run, or a few-shot experiment: its own view follows it
    return active.group_id if active is not None and active.is_group(sweep.KIND) else None


def attach(state: AppState) -> tuple:
    """A new page: follow the sweep running here, else show the latest recorded sweep."""
    running = running_sweep_id()
    latest = state.store.list_sweeps(limit=1, kind="sweep")
    sweep_id = running if running is not None else (latest[0]["id"] if latest else None)
    return show_sweep(state, new_view(), sweep_id)


def poll(state: AppState, view: dict[str, Any] | None) -> tuple:
    """One timer tick: redraw what changed; ``gr.skip()`` for every output left as it was."""
    if view is None:
        return attach(state)
    running = running_sweep_id()
    if view["follow"] and running is not None and view["sweep_id"] != running:
        return show_sweep(state, view, running)
    if view["sweep_id"] is None:
        return tuple(gr.skip() for _ in OUTPUTS)
    outcome = sweep.sweep_results(state.store, view["sweep_id"])
    if _signature(outcome) != view["sig"]:
        return show_sweep(state, view, view["sweep_id"])
    line = status_text(state, outcome)
    if line == view["status"]:
        return tuple(gr.skip() for _ in OUTPUTS)
    view["status"] = line
    return (line, gr.skip(), gr.skip(), gr.skip(), view)


# ----------------------------------------------------------------------------- layout
def _form(state: AppState, c: dict[str, Any]) -> None:
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


@dataclass
class SweepTab:
    """The Sweep tab's components and its handlers."""

    data: Any = None
    model: Any = None
    method: Any = None
    lengths: Any = None
    lrs: Any = None
    budget: Any = None
    max_steps: Any = None
    name: Any = None
    start: Any = None
    stop: Any = None
    past: Any = None
    status: Any = None
    plot: Any = None
    table: Any = None
    timer: Any = None
    view: Any = None


def build_sweep_tab(state: AppState, demo: gr.Blocks) -> SweepTab:
    """Lay out the Sweep tab and wire its timer; returns its :class:`SweepTab`."""
    c = SweepTab()
    c.view = gr.State(None)
    gr.Markdown(t("sweep_intro"))
    with gr.Row():
        with gr.Column(scale=2):
            _form(state, c)
        with gr.Column(scale=3):
            c.past = gr.Dropdown(
                label=t("sweep_past"), info=t("sweep_past_info"), elem_id="sweep-past"
            )
            c.status = gr.Markdown(elem_id="sweep-status")
            c.plot = gr.Plot(label=t("sweep_plot"), elem_id="sweep-plot")
            c.table = gr.Dataframe(
                label=t("sweep_table"), interactive=False, wrap=True, elem_id="sweep-table"
            )
    c.timer = gr.Timer(POLL_SECONDS)
    _wire(state, demo, c)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: SweepTab) -> None:
    guard = friendly(state.lang)
    outputs = [getattr(c, name) for name in OUTPUTS]
    private = {"api_visibility": "private", "show_progress": "hidden"}
    form = [getattr(c, name) for name in FORM]

    @guard
    def on_start(view: dict[str, Any] | None, *values: Any) -> tuple:
        message, sweep_id = start_sweep(state, dict(zip(FORM, values, strict=True)))
        result = show_sweep(state, new_view(follow=True), sweep_id)
        gr.Info(message)
        return result

    @guard
    def on_stop() -> str:
        return stop_sweep(state)

    @guard
    def on_pick(view: dict[str, Any] | None, sweep_id: Any) -> tuple:
        return show_sweep(state, new_view(follow=False), sweep_id)

    @guard
    def on_load() -> tuple:
        return attach(state)

    @guard
    def on_tick(view: dict[str, Any] | None) -> tuple:
        return poll(state, view)

    demo.load(on_load, None, outputs, **private)
    c.timer.tick(on_tick, c.view, outputs, **private)
    c.start.click(on_start, [c.view, *form], outputs, **private)
    c.stop.click(on_stop, None, c.status, **private)
    c.past.input(on_pick, [c.view, c.past], outputs, **private)
    c.method.change(lrs_text, c.method, c.lrs, **private)
