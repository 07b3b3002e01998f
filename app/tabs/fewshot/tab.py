"""Few-shot tab: how accuracy grows with the examples per class, per method.

The form (:mod:`app.fewshot_form`) starts an experiment of :mod:`core.fewshot`; a ``gr.Timer``
polls the store and redraws the tables and the figure only when a run of the experiment
changed, so a zoom survives. Past experiments are re-opened from the database, a new page
follows the experiment running in this process, and Resume trains what a stopped, interrupted
or failed experiment has left.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from app import forms
from app.errors import friendly
from app.estimate import duration
from app.fewshot_form import FORM, RESUMABLE, plan_line, resume, running_id, start, stop
from app.fewshot_plots import fewshot_figure, method_title
from app.i18n import t
from app.state import DEMO_DATA, AppState, dataset_choices
from core import fewshot
from core.config import TrainConfig
from core.fewshot.run import KIND
from core.methods import METHODS
from storage.errors import SweepNotFoundError

POLL_SECONDS = 2.0
LIST_LIMIT = 100
OUTPUTS = ("status", "table", "runs", "plot", "past", "resume", "view")
Outcome = dict[str, Any]


# ----------------------------------------------------------------------------- tables
def _k(state: AppState, k: Any) -> str:
    return state.text("fewshot_all") if k == fewshot.ALL else str(k)


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def curve_table(state: AppState, outcome: Outcome | None) -> pd.DataFrame:
    """Method x examples per class: mean ± std of accuracy (finished / planned runs)."""
    shots = list(outcome["shots"]) if outcome else []
    columns = [state.text("fewshot_col_method")] + [_k(state, k) for k in shots]
    cells: dict[tuple[str, Any], dict[str, Any]] = {
        (e["method"], e["shots"]): e for e in (outcome or {}).get("curve", [])
    }
    rows = []
    for method in outcome["methods"] if outcome else []:
        row = [method_title(method, state.lang)]
        for k in shots:
            entry = cells.get((method, k))
            if entry is None or not entry["runs"]:
                runs, planned = 0, len(outcome["seeds"])
                row.append(state.text("fewshot_cell_empty", runs=runs, planned=planned))
                continue
            row.append(
                state.text(
                    "fewshot_cell",
                    mean=f"{entry['accuracy_mean']:.3f}",
                    std=f"{entry['accuracy_std']:.3f}",
                    runs=entry["runs"],
                    planned=entry["planned"],
                )  # fmt: skip
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def runs_table(state: AppState, outcome: Outcome | None) -> pd.DataFrame:
    """Every run of the experiment, oldest first, with its point, status and scores."""
    rows = [
        [
            r["run_id"],
            method_title(r["method"], state.lang),
            _k(state, r["shots"]),
            r["seed"],
            state.translate(r["status"]),
            _score(r["eval_accuracy"]),
            _score(r["eval_f1"]),
            "" if r["train_seconds"] is None else duration(r["train_seconds"]),
            state.translate(r.get("error") or ""),
        ]  # fmt: skip
        for r in (outcome or {}).get("runs", [])
    ]
    keys = ("col_id", "fewshot_col_method", "fewshot_col_k", "fewshot_col_seed", "col_status",
            "col_accuracy", "sweep_col_f1", "sweep_col_time", "col_error")  # fmt: skip
    return pd.DataFrame(rows, columns=[state.text(k) for k in keys])


# ----------------------------------------------------------------------------- status
def _current(state: AppState, outcome: Outcome) -> str:
    """The run training now and its step, while the experiment runs."""
    running = [r for r in outcome["runs"] if r["status"] == "running"]
    if outcome["status"] != "running" or not running:
        return ""
    r = running[-1]
    last = state.store.last_step(r["run_id"])
    rows = state.store.read_metrics(r["run_id"], since_step=last - 1, split="train")
    total = [row["value"] for row in rows if row["name"] == "total_steps"]
    return state.text(
        "fewshot_current", run_id=r["run_id"], method=method_title(r["method"], state.lang),
        k=_k(state, r["shots"]), seed=r["seed"], step=max(last, 0),
        total=int(total[-1]) if total else outcome.get("steps") or "?",
    )  # fmt: skip


def status_text(state: AppState, outcome: Outcome | None) -> str:
    """The experiment, its status, how far it is, its current run, notes and error."""
    if outcome is None:
        return state.text("fewshot_none")
    line = state.text(
        "fewshot_line", experiment_id=outcome["experiment_id"], name=outcome["name"],
        status=state.translate(outcome["status"]), done=outcome["done"], planned=outcome["planned"],
        steps=outcome.get("steps") or "?",
    )  # fmt: skip
    line += _current(state, outcome)
    if resumable(outcome):
        line += state.text("fewshot_resume_hint", left=outcome["planned"] - outcome["done"])
    for note in outcome.get("notes") or []:
        line += "\n\n" + state.text("fewshot_note", note=state.translate(note))
    if outcome.get("error"):
        line += "\n\n" + state.text("fewshot_error", error=state.translate(outcome["error"]))
    return line


def resumable(outcome: Outcome | None) -> bool:
    """Resume applies: the experiment ended early and some point has no finished run."""
    return bool(outcome and outcome["status"] in RESUMABLE and outcome["done"] < outcome["planned"])


def choices(state: AppState) -> list[tuple[str, int]]:
    """Few-shot experiments for the picker, newest first (sweeps have their own tab)."""
    return [
        (f"#{s['id']} {s['name']} · {state.translate(s['status'])}", s["id"])
        for s in state.store.list_sweeps(limit=LIST_LIMIT, kind=KIND)
    ]


# ----------------------------------------------------------------------------- view
def new_view(experiment_id: int | None = None, follow: bool = True) -> dict[str, Any]:
    return {"experiment_id": experiment_id, "sig": None, "status": None, "follow": follow}


def _signature(outcome: Outcome | None) -> Any:
    if outcome is None:
        return None
    runs = [(r["run_id"], r["status"]) for r in outcome["runs"]]
    return outcome["experiment_id"], outcome["status"], runs


def _results(state: AppState, experiment_id: int | None) -> Outcome | None:
    return None if experiment_id is None else fewshot.fewshot_results(state.store, experiment_id)


def show(state: AppState, view: dict[str, Any] | None, experiment_id: Any) -> tuple:
    """Every output of the tab for one experiment (the empty view when there is none)."""
    view = new_view() if view is None else view
    view["experiment_id"] = None if experiment_id in (None, "") else int(experiment_id)
    outcome = _results(state, view["experiment_id"])
    view["sig"], view["status"] = _signature(outcome), status_text(state, outcome)
    return (
        view["status"],
        curve_table(state, outcome),
        runs_table(state, outcome),
        fewshot_figure(outcome, state.lang),
        gr.update(choices=choices(state), value=view["experiment_id"]),
        gr.update(interactive=resumable(outcome)),
        view,
    )


def attach(state: AppState) -> tuple:
    """A new page: follow the experiment running here, else show the latest one."""
    running = running_id()
    latest = state.store.list_sweeps(limit=1, kind=KIND)
    experiment_id = running if running is not None else (latest[0]["id"] if latest else None)
    return show(state, new_view(), experiment_id)


def poll(state: AppState, view: dict[str, Any] | None) -> tuple:
    """One timer tick: redraw what changed; ``gr.skip()`` for every output left as it was."""
    if view is None:
        return attach(state)
    running = running_id()
    if view["follow"] and running is not None and view["experiment_id"] != running:
        return show(state, view, running)
    if view["experiment_id"] is None:
        return tuple(gr.skip() for _ in OUTPUTS)
    try:
        outcome = _results(state, view["experiment_id"])
    except SweepNotFoundError:  # deleted meanwhile (e.g. from the command line)
        return attach(state)
    if _signature(outcome) != view["sig"]:
        return show(state, view, view["experiment_id"])
    line = status_text(state, outcome)
    if line == view["status"]:
        return tuple(gr.skip() for _ in OUTPUTS)
    view["status"] = line
    return (line, *(gr.skip() for _ in OUTPUTS[1:-1]), view)


# ----------------------------------------------------------------------------- layout
@dataclass
class FewShotTab:
    """The Few-shot tab's components."""

    data: Any = None
    model: Any = None
    methods: Any = None
    shots: Any = None
    seeds: Any = None
    steps: Any = None
    batch: Any = None
    name: Any = None
    plan: Any = None
    start: Any = None
    stop: Any = None
    resume: Any = None
    past: Any = None
    status: Any = None
    plot: Any = None
    table: Any = None
    runs: Any = None
    timer: Any = None
    view: Any = None


def _range(cls: type, name: str) -> dict[str, Any]:
    """The setting's range as its config declares it, for the number box to show."""
    row = next(row for row in cls.describe() if row["name"] == name)
    return {"minimum": row.get("min"), "maximum": row.get("max")}


def _number(key: str, value: int, bounds: dict[str, Any], elem_id: str) -> gr.Number:
    return forms.range_number(
        value=value, step=1, precision=0, label=t(key), info=t(key + "_info"), elem_id=elem_id,
        **bounds,
    )  # fmt: skip


def _form(state: AppState, c: FewShotTab) -> None:
    c.data = gr.Dropdown(
        choices=dataset_choices(state), value=str(DEMO_DATA), label=t("fewshot_dataset"),
        allow_custom_value=True, elem_id="fewshot-dataset",
    )  # fmt: skip
    c.model = gr.Textbox(
        value=state.default_model, label=t("fewshot_model"), elem_id="fewshot-model"
    )
    c.methods = gr.CheckboxGroup(
        choices=[(method.title_in(state.lang), name) for name, method in METHODS.items()],
        value=list(fewshot.DEFAULT_METHODS), label=t("fewshot_methods"),
        info=t("fewshot_methods_info"), elem_id="fewshot-methods",
    )  # fmt: skip
    c.shots = gr.Textbox(
        value=",".join(map(str, fewshot.DEFAULT_SHOTS)), label=t("fewshot_shots"),
        info=t("fewshot_shots_info"), elem_id="fewshot-shots",
    )  # fmt: skip
    plan, run = fewshot.FewShotConfig, TrainConfig
    with gr.Row():
        c.seeds = _number("fewshot_seeds", fewshot.DEFAULT_SEEDS, _range(plan, "seeds"),
                          "fewshot-seeds")  # fmt: skip
        c.steps = _number("fewshot_steps", fewshot.DEFAULT_STEPS, _range(plan, "steps"),
                          "fewshot-steps")  # fmt: skip
        c.batch = _number("fewshot_batch", fewshot.DEFAULT_BATCH, _range(run, "batch_size"),
                          "fewshot-batch")  # fmt: skip
    c.name = gr.Textbox(label=t("fewshot_name"), elem_id="fewshot-name")
    c.plan = gr.Markdown(elem_id="fewshot-plan")
    with gr.Row():
        c.start = gr.Button(t("fewshot_start"), variant="primary", elem_id="fewshot-start")
        c.stop = gr.Button(t("fewshot_stop"), variant="stop", elem_id="fewshot-stop")
        c.resume = gr.Button(t("fewshot_resume"), interactive=False, elem_id="fewshot-resume")


def build_fewshot_tab(state: AppState, demo: gr.Blocks) -> FewShotTab:
    """Lay out the Few-shot tab and wire its timer; returns its :class:`FewShotTab`."""
    c = FewShotTab()
    c.view = gr.State(None)
    gr.Markdown(t("fewshot_intro"))
    with gr.Row():
        with gr.Column(scale=2):
            _form(state, c)
        with gr.Column(scale=3):
            c.past = gr.Dropdown(
                label=t("fewshot_past"), info=t("fewshot_past_info"), elem_id="fewshot-past"
            )
            c.status = gr.Markdown(elem_id="fewshot-status")
            c.plot = gr.Plot(label=t("fewshot_plot"), elem_id="fewshot-plot")
            c.table = gr.Dataframe(
                label=t("fewshot_table"), interactive=False, wrap=True, elem_id="fewshot-table"
            )
    c.runs = gr.Dataframe(
        label=t("fewshot_runs"), interactive=False, wrap=True, elem_id="fewshot-runs"
    )
    c.timer = gr.Timer(POLL_SECONDS)
    _wire(state, demo, c)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: FewShotTab) -> None:
    guard = friendly(state.lang)
    outputs = [getattr(c, name) for name in OUTPUTS]
    private = {"api_visibility": "private", "show_progress": "hidden"}
    form = [getattr(c, name) for name in FORM]

    @guard
    def on_start(view: dict[str, Any] | None, *values: Any) -> tuple:
        message, experiment_id = start(state, dict(zip(FORM, values, strict=True)))
        result = show(state, new_view(follow=True), experiment_id)
        gr.Info(message)
        return result

    @guard
    def on_resume(view: dict[str, Any] | None) -> tuple:
        message, experiment_id = resume(state, (view or {}).get("experiment_id"))
        result = show(state, new_view(follow=True), experiment_id)
        gr.Info(message)
        return result

    @guard
    def on_stop() -> str:
        return stop(state)

    @guard
    def on_pick(view: dict[str, Any] | None, experiment_id: Any) -> tuple:
        return show(state, new_view(follow=False), experiment_id)

    @guard
    def on_load(*values: Any) -> tuple:
        return (*attach(state), plan_line(state, dict(zip(FORM, values, strict=True))))

    @guard
    def on_tick(view: dict[str, Any] | None) -> tuple:
        return poll(state, view)

    def on_form(*values: Any) -> str:
        return plan_line(state, dict(zip(FORM, values, strict=True)))

    demo.load(on_load, form, [*outputs, c.plan], **private)
    c.timer.tick(on_tick, c.view, outputs, **private)
    c.start.click(on_start, [c.view, *form], outputs, **private)
    c.resume.click(on_resume, c.view, outputs, **private)
    c.stop.click(on_stop, None, c.status, **private)
    c.past.input(on_pick, [c.view, c.past], outputs, **private)
    for box in (c.model, c.methods, c.shots, c.seeds, c.steps, c.batch):
        box.change(on_form, form, c.plan, **private)
