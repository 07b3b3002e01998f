"""Few-shot tab: how a method's score (its task's: accuracy, macro-F1, Pearson, entity F1) grows
with the examples per class.

The form (:mod:`app.tabs.fewshot.form`) starts an experiment of :mod:`core.fewshot`; while the
tab is shown the page clock refreshes it (:mod:`app.tabs.fewshot.view`), redrawing the tables and
the figure only when a run of the experiment changed, so a zoom survives. Past experiments are
re-opened from the database, a new page follows the experiment running in this process, and
Resume trains what a stopped, interrupted or failed experiment has left.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.i18n import t
from app.shared import forms
from app.shared.errors import friendly
from app.shared.group_view import PRIVATE, GroupWiring, outputs_of, wire_group
from app.shared.state import DEMO_DATA, AppState, dataset_choices
from app.tabs.contract import TabParts
from app.tabs.fewshot.form import FORM, plan_line, resume, start, stop
from app.tabs.fewshot.view import FEWSHOT
from core import fewshot
from core.config import ConfigBase, TrainConfig
from core.methods import METHODS

POLL_SECONDS = 2.0


class FewShotTab(TabParts):
    """The Few-shot tab: its components once built, and its part of the page's contract."""

    id = "fewshot"
    title = "tab_fewshot"
    poll_seconds = POLL_SECONDS
    state: AppState
    view: Any
    data: Any
    model: Any
    methods: Any
    shots: Any
    seeds: Any
    steps: Any
    batch: Any
    name: Any
    plan: Any
    start: Any
    stop: Any
    resume: Any
    past: Any
    status: Any
    plot: Any
    table: Any
    runs: Any

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        self.state = state
        self.view = gr.State(None)
        gr.Markdown(t("fewshot_intro"))
        with gr.Row():
            with gr.Column(scale=2):
                _form(state, self)
            with gr.Column(scale=3):
                self.past = gr.Dropdown(
                    label=t("fewshot_past"), info=t("fewshot_past_info"), elem_id="fewshot-past"
                )
                self.status = gr.Markdown(elem_id="fewshot-status")
                self.plot = gr.Plot(label=t("fewshot_plot"), elem_id="fewshot-plot")
                self.table = gr.Dataframe(
                    label=t("fewshot_table"), interactive=False, wrap=True, elem_id="fewshot-table"
                )
        self.runs = gr.Dataframe(
            label=t("fewshot_runs"), interactive=False, wrap=True, elem_id="fewshot-runs"
        )
        wiring = GroupWiring(FEWSHOT, self, FORM, start, stop)
        wire_group(state, wiring)
        _wire(state, demo, self, outputs_of(wiring))
        self.refresh_inputs, self.refresh_outputs = [self.view], outputs_of(wiring)

    def refresh(self, *values: Any) -> tuple:
        (view,) = values
        return FEWSHOT.poll(self.state, view)


def build_fewshot_tab(state: AppState, demo: gr.Blocks) -> FewShotTab:
    """Lay out the Few-shot tab and wire it; returns its :class:`FewShotTab`."""
    tab = FewShotTab()
    tab.build(state, demo)
    return tab


def _wire(state: AppState, demo: gr.Blocks, c: FewShotTab, outputs: list[Any]) -> None:
    """What the Few-shot tab adds to a group view: Resume, and the plan line under the form."""
    guard = friendly(state.lang)
    form = [getattr(c, name) for name in FORM]

    @guard
    def on_resume(view: dict[str, Any] | None) -> tuple:
        message, experiment_id = resume(state, (view or {}).get(FEWSHOT.key))
        result = FEWSHOT.show(state, FEWSHOT.new_view(), experiment_id)
        gr.Info(message)
        return result

    def on_form(*values: Any) -> str:
        return plan_line(state, dict(zip(FORM, values, strict=True)))

    demo.load(on_form, form, c.plan, **PRIVATE)
    c.resume.click(on_resume, c.view, outputs, **PRIVATE)
    for box in (c.model, c.methods, c.shots, c.seeds, c.steps, c.batch):
        box.change(on_form, form, c.plan, **PRIVATE)


def _range(cls: type[ConfigBase], name: str) -> dict[str, Any]:
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
