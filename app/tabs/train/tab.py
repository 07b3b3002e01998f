"""Train tab: model, dataset, method and settings, then Start and Stop."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from app import confine, estimate, forms
from app.actions import stop_training
from app.datasets import preview
from app.errors import friendly
from app.i18n import field_key, t
from app.language_note import language_note
from app.plots import label_figure
from app.preflight import check_start
from app.run_queue import submit_run
from app.state import DEMO_DATA, AppState, dataset_choices, save_upload
from core.checks import model_support
from core.config import TrainConfig
from core.data.reading import SUPPORTED_EXTENSIONS
from core.errors import PTuneError
from core.methods import METHODS


# ----------------------------------------------------------------------------- handlers
def show_dataset(
    state: AppState, source: str | None, text_column: str | None = None,
    label_column: str | None = None, model: str | None = None, threshold: Any = None,
) -> tuple[Any, ...]:  # fmt: skip
    """Preview table, label chart, column pickers (guessed) and a one-line summary, with a
    warning when ``model`` does not read the texts' language."""
    if not source:
        empty = gr.update(choices=[], value=None)
        return pd.DataFrame(), label_figure({}, state.lang), empty, empty, ""
    if is_hub_id(source):
        empty = gr.update(choices=[], value=None)
        note = state.text("hub_dataset", name=source)
        return pd.DataFrame(), label_figure({}, state.lang), empty, empty, note
    view = preview(state, source, text_column, label_column)
    names = ", ".join(list(view.label_counts)[:10]) + (
        " ..." if len(view.label_counts) > 10 else ""
    )
    summary = state.text(
        "dataset_summary", rows=f"{view.rows:,}", labels=len(view.label_counts), names=names,
        text=view.text_column or "?", label=view.label_column or "?",
    )  # fmt: skip
    note = language_note(state, model, view.sample, threshold)
    if note:
        summary += "\n\n⚠️ " + note
    return (
        view.head,
        label_figure(view.label_counts, state.lang),
        gr.update(choices=view.columns, value=view.text_column),
        gr.update(choices=view.columns, value=view.label_column),
        summary,
    )


def is_hub_id(source: str) -> bool:
    """True for a name like ``glue:sst2`` or ``imdb`` that is no local file or folder."""
    path = Path(source).expanduser()
    looks_local = source.startswith(("/", ".", "~")) or path.suffix.lower() in SUPPORTED_EXTENSIONS
    return not path.exists() and not looks_local and source.count("/") <= 1


def add_upload(state: AppState, file: str | None) -> Any:
    """Keep an uploaded dataset and select it in the picker."""
    if not file:
        return gr.skip()
    path = save_upload(state, file)
    return gr.update(choices=dataset_choices(state), value=path)


def show_model(state: AppState, model: str | None) -> str:
    """The model's family and which methods can train it, in one line (a model folder the app
    does not serve is not read)."""
    refusal = confine.model_refusal(state, model)
    if refusal:
        return state.text("model_unreadable", error=refusal)
    try:
        support = model_support(model)
    except PTuneError as exc:
        return state.text("model_unreadable", error=exc)
    unusable = [name for name in METHODS if name not in support.usable]
    if not unusable:
        return state.text("model_support", family=support.family)
    titles = [METHODS[name].title_in(state.lang) for name in support.usable]
    return state.text(
        "model_support_some", family=support.family, usable=", ".join(titles) or "-",
        unusable=", ".join(METHODS[n].title_in(state.lang) for n in unusable),
        reason=support.methods[unusable[0]][0],
    )  # fmt: skip


def switch_method(method: str) -> list[Any]:
    """Show only the chosen method's settings."""
    return [gr.update(visible=name == method) for name in METHODS]


def validated(state: AppState, values: dict[str, Any]) -> tuple[TrainConfig, Any]:
    """The form as a checked config and its loaded dataset; FormProblems lists every problem."""
    return check_start(state, forms.config_values(values))


def estimate_text(state: AppState, config: TrainConfig, bundle: Any) -> str:
    """Trainable parameters and an estimated duration, in words."""
    trainable, total = estimate.count_trainable(state, config, len(bundle.label_names))
    speed = estimate.measured_speed(state, config.model, config.method)
    source = state.text("speed_measured" if speed else "speed_guess")
    plan = estimate.estimate(
        config, len(bundle.train), len(bundle.validation), speed or estimate.guessed_speed(total)
    )
    message = state.text(
        "estimate", trainable=f"{trainable:,}", total=estimate.human_count(total),
        share=estimate.share(trainable, total), steps=f"{plan['steps']:,}",
        duration=estimate.duration(plan["seconds"]), speed=source,
    )  # fmt: skip
    if plan["budget"]:
        message += state.text("estimate_budget", budget=estimate.duration(plan["budget"]))
    return message


def check_form(state: AppState, values: dict[str, Any]) -> tuple[str, str, str]:
    """Validate the whole form; the estimate, the command and the YAML of the run."""
    config, bundle = validated(state, values)
    notes = "".join(f"\n- {state.translate(w)}" for w in bundle.warnings)
    return estimate_text(state, config, bundle) + notes + unread_note(state, config, bundle), *(
        code_views(config)
    )


def unread_note(state: AppState, config: TrainConfig, bundle: Any) -> str:
    """The warning, as a paragraph, when the run's model does not read its data's language."""
    note = language_note(state, config.model, bundle.train.texts, config.unknown_token_warning)
    return f"\n\n⚠️ {note}" if note else ""


def code_views(config: TrainConfig) -> tuple[str, str]:
    return forms.as_command(config), forms.as_yaml(config)


def start_training(state: AppState, values: dict[str, Any]) -> tuple[str, str, int]:
    """Check the form, estimate, and start the run in the background.

    Returns the estimate, a status line and the run id. While the device is busy the run waits
    in the queue (:mod:`app.run_queue`) and the status line says its place.
    """
    config, bundle = validated(state, values)
    plan = estimate_text(state, config, bundle) + unread_note(state, config, bundle)
    run_id, place = submit_run(state, config)
    name = state.store.get_run(run_id)["name"]
    if place is not None:  # the device is busy: the run waits its turn
        return plan, state.text("queued_run", run_id=run_id, name=name, position=place), run_id
    return plan, state.text("started", run_id=run_id, name=name), run_id


# ----------------------------------------------------------------------------- layout
@dataclass
class TrainTab:
    """The Train tab's components; ``fields`` maps form keys to their inputs."""

    fields: dict[str, Any] = field(default_factory=dict)
    groups: dict[str, Any] = field(default_factory=dict)
    upload: Any = None
    model_info: Any = None
    info: Any = None
    table: Any = None
    chart: Any = None
    check: Any = None
    start: Any = None
    stop: Any = None
    estimate: Any = None
    status: Any = None
    command: Any = None
    yaml: Any = None
    start_event: Any = None

    def inputs(self) -> set[Any]:
        return set(self.fields.values())

    def values(self, by_component: dict[Any, Any]) -> dict[str, Any]:
        keys = {id(c): k for k, c in self.fields.items()}
        return {keys[id(c)]: v for c, v in by_component.items() if id(c) in keys}


def _settings(rows: list[dict[str, Any]], prefix: str, tab: TrainTab, advanced_label: Any) -> None:
    for row in rows:
        if not row.get("advanced"):
            tab.fields[field_key(prefix, row["name"])] = forms.component_for(row, prefix)
    extra = [row for row in rows if row.get("advanced")]
    if extra:
        with gr.Accordion(advanced_label, open=False):
            for row in extra:
                tab.fields[field_key(prefix, row["name"])] = forms.component_for(row, prefix)


def _data_column(state: AppState, tab: TrainTab) -> None:
    gr.Markdown(t("train_data_heading"))
    f = tab.fields
    f["model"] = gr.Textbox(
        value=state.default_model, label=t("train_model"), info=t("train_model_info"),
        elem_id="train-model",
    )  # fmt: skip
    tab.model_info = gr.Markdown(elem_id="train-model-info")
    with gr.Row(equal_height=True):
        f["data"] = gr.Dropdown(
            choices=dataset_choices(state), value=str(DEMO_DATA), label=t("train_dataset"),
            info=t("train_dataset_info"), allow_custom_value=True, elem_id="train-dataset",
            scale=4,
        )  # fmt: skip
        tab.upload = gr.UploadButton(
            t("train_upload"), file_types=[".csv", ".tsv", ".jsonl", ".json", ".parquet"],
            elem_id="train-upload", scale=1,
        )  # fmt: skip
    with gr.Row():
        f["text_column"] = gr.Dropdown(label=t("train_text_column"), elem_id="train-text-column")
        f["label_column"] = gr.Dropdown(label=t("train_label_column"), elem_id="train-label-column")
    tab.info = gr.Markdown(elem_id="train-data-info")
    tab.table = gr.Dataframe(
        label=t("train_preview"), max_height=260, wrap=True, interactive=False,
        elem_id="train-preview",
    )  # fmt: skip
    tab.chart = gr.Plot(label=t("train_labels_plot"), elem_id="train-labels")


def _method_column(state: AppState, tab: TrainTab) -> None:
    gr.Markdown(t("train_method_heading"))
    tab.fields["method"] = gr.Radio(
        choices=[(m.title_in(state.lang), name) for name, m in METHODS.items()],
        value=state.default_method,
        label=t("train_method"), elem_id="train-method",
    )  # fmt: skip
    for name in METHODS:
        with gr.Group(visible=name == state.default_method) as group:
            gr.Markdown(t(f"method_{name}_summary"), elem_classes=["method-summary"])
            _settings(forms.method_rows(name), f"opt_{name}", tab, t("train_method_advanced"))
        tab.groups[name] = group
    gr.Markdown(t("train_settings_heading"))
    tab.fields["name"] = gr.Textbox(
        label=t("train_run_name"), info=t("train_run_name_info"), elem_id="train-name"
    )
    _settings(forms.common_rows(), "cfg", tab, t("train_advanced"))


def _actions(tab: TrainTab) -> None:
    with gr.Row():
        tab.check = gr.Button(t("train_check"), elem_id="train-check")
        tab.start = gr.Button(t("train_start"), variant="primary", elem_id="train-start")
        tab.stop = gr.Button(t("train_stop"), variant="stop", elem_id="train-stop")
    tab.estimate = gr.Markdown(elem_id="train-estimate")
    tab.status = gr.Markdown(elem_id="train-status")
    with gr.Accordion(t("train_code"), open=False):
        tab.command = gr.Code(language="shell", label=t("train_command"), elem_id="train-cmd")
        tab.yaml = gr.Code(language="yaml", label=t("train_yaml"), elem_id="train-yaml")


def build_train_tab(state: AppState, demo: gr.Blocks) -> TrainTab:
    """Lay out the Train tab and wire its events (``demo`` for the page-load preview)."""
    tab = TrainTab()
    with gr.Row():
        with gr.Column(scale=5):
            _data_column(state, tab)
        with gr.Column(scale=4):
            _method_column(state, tab)
            _actions(tab)
    _wire(state, tab, demo)
    return tab


def _wire(state: AppState, tab: TrainTab, demo: gr.Blocks) -> None:
    guard = friendly(state.lang)
    f, private = tab.fields, {"api_visibility": "private"}
    preview_outputs = [tab.table, tab.chart, f["text_column"], f["label_column"], tab.info]
    code = [tab.command, tab.yaml]

    @guard
    def on_dataset(source: str | None, model: str | None, threshold: Any) -> tuple[Any, ...]:
        return show_dataset(state, source, model=model, threshold=threshold)

    @guard
    def on_columns(
        source: str | None, text_col: str | None, label_col: str | None, model: str | None,
        threshold: Any,
    ) -> Any:  # fmt: skip
        return show_dataset(state, source, text_col, label_col, model, threshold)

    @guard
    def on_model_note(
        source: str | None, text_col: str | None, label_col: str | None, model: str | None,
        threshold: Any,
    ) -> Any:  # fmt: skip
        # Only the summary follows the model: the table and column pickers stay as they are,
        # so a Start pressed meanwhile is not raced by their update.
        return show_dataset(state, source, text_col, label_col, model, threshold)[-1]

    @guard
    def on_upload(file: str | None) -> Any:
        return add_upload(state, file)

    @guard
    def on_check(values: dict[Any, Any]) -> tuple[str, str, str]:
        return check_form(state, tab.values(values))

    @guard
    def on_start(values: dict[Any, Any]) -> tuple[str, str, str, str]:
        plan, status, run_id = start_training(state, tab.values(values))
        config = TrainConfig(**state.store.get_run(run_id)["config"])
        return (plan, status, *code_views(confine.without_out(config)))

    @guard
    def on_stop() -> str:
        return stop_training(state)

    @guard
    def on_model(model: str | None) -> str:
        return show_model(state, model)

    # The preview warns when the model does not read the data's language, so it follows the
    # model and the warning's threshold too.
    threshold = f[field_key("cfg", "unknown_token_warning")]
    dataset = [f["data"], f["model"], threshold]
    columns = [f["data"], f["text_column"], f["label_column"], f["model"], threshold]
    demo.load(on_dataset, dataset, preview_outputs, **private)
    demo.load(on_model, f["model"], tab.model_info, **private)
    for event in (f["model"].blur, f["model"].submit):
        event(on_model, f["model"], tab.model_info, **private).then(
            on_model_note, columns, tab.info, **private
        )
    f["data"].input(on_dataset, dataset, preview_outputs, **private)
    for picker in (f["text_column"], f["label_column"], threshold):
        picker.input(on_columns, columns, preview_outputs, **private)
    tab.upload.upload(on_upload, tab.upload, f["data"], **private).then(
        on_dataset, dataset, preview_outputs, **private
    )
    f["method"].change(switch_method, f["method"], list(tab.groups.values()), **private)
    tab.check.click(on_check, tab.inputs(), [tab.estimate, *code], **private)
    tab.start_event = tab.start.click(
        on_start, tab.inputs(), [tab.estimate, tab.status, *code], **private
    )
    tab.stop.click(on_stop, None, tab.status, **private)
