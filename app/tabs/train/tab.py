"""Train tab: model, dataset, method and settings, then Check, Start and Stop.

A run started here (at once, or queued while the device is busy) emits
:data:`~app.tabs.contract.RUN_STARTED`, which the page passes on to the tabs that follow it (the
Monitor opens on the running job).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.i18n import field_key, t
from app.shared import confine, forms
from app.shared.actions import stop_training
from app.shared.errors import friendly
from app.shared.state import DEMO_DATA, AppState, dataset_choices
from app.tabs.contract import RUN_STARTED, Signal, TabParts
from app.tabs.train.logic import check_form, code_views, show_model, start_training
from app.tabs.train.suggest import picked_model, suggestion_table
from app.tabs.train.view import add_upload, show_dataset, switch_method, task_choices
from core.config import TrainConfig
from core.data.files import DATASET_EXTENSIONS
from core.methods import METHODS
from core.tasks import AUTO

PRIVATE: dict[str, Any] = {"api_visibility": "private"}


class TrainTab(TabParts):
    """The Train tab: its components once built (``fields`` maps form keys to their inputs),
    and its part of the page's contract."""

    id = "train"
    title = "tab_train"
    upload: Any
    model_info: Any
    suggestions: Any
    info: Any
    table: Any
    chart: Any
    check: Any
    start: Any
    stop: Any
    estimate: Any
    status: Any
    command: Any
    yaml: Any
    start_event: Any

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Any] = {}
        self.groups: dict[str, Any] = {}

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        with gr.Row():
            with gr.Column(scale=5):
                _data_column(state, self)
            with gr.Column(scale=4):
                _method_column(state, self)
                _actions(self)
        _wire_preview(state, self, demo)
        _wire_suggestions(state, self, demo)
        _wire_actions(state, self)
        self.emits = {RUN_STARTED: Signal(self.start_event)}

    def inputs(self) -> set[Any]:
        return set(self.fields.values())

    def values(self, by_component: dict[Any, Any]) -> dict[str, Any]:
        keys = {id(c): k for k, c in self.fields.items()}
        return {keys[id(c)]: v for c, v in by_component.items() if id(c) in keys}


def build_train_tab(state: AppState, demo: gr.Blocks) -> TrainTab:
    """Lay out the Train tab and wire its events (``demo`` for the page-load preview)."""
    tab = TrainTab()
    tab.build(state, demo)
    return tab


# ----------------------------------------------------------------------------- layout
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
    with gr.Accordion(t("train_suggestions"), open=False):
        tab.suggestions = gr.Dataframe(
            interactive=False, wrap=True, elem_id="train-model-suggestions"
        )
    with gr.Row(equal_height=True):
        f["data"] = gr.Dropdown(
            choices=dataset_choices(state), value=str(DEMO_DATA), label=t("train_dataset"),
            info=t("train_dataset_info"), allow_custom_value=True, elem_id="train-dataset",
            scale=4,
        )  # fmt: skip
        tab.upload = gr.UploadButton(
            t("train_upload"), file_types=list(DATASET_EXTENSIONS), elem_id="train-upload",
            scale=1,
        )  # fmt: skip
    with gr.Row():
        f["text_column"] = gr.Dropdown(label=t("train_text_column"), elem_id="train-text-column")
        f["label_column"] = gr.Dropdown(label=t("train_label_column"), elem_id="train-label-column")
    with gr.Row():
        f["task"] = gr.Dropdown(
            choices=task_choices(state.lang), value=AUTO, label=t("train_task"),
            info=t("train_task_info"), elem_id="train-task",
        )  # fmt: skip
        f["text_pair_column"] = gr.Dropdown(
            label=t("train_text_pair_column"), info=t("train_text_pair_column_info"),
            elem_id="train-text-pair-column",
        )  # fmt: skip
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


# ----------------------------------------------------------------------------- wiring
def _wire_preview(state: AppState, tab: TrainTab, demo: gr.Blocks) -> None:
    """The dataset's preview and the model's note follow the dataset, its columns, the model and
    the warning's threshold (the preview warns when the model does not read the data's
    language); an upload joins the picker."""
    guard, f = friendly(state.lang), tab.fields
    preview_outputs = [tab.table, tab.chart, f["text_column"], f["label_column"],
                       f["text_pair_column"], tab.info]  # fmt: skip

    @guard
    def on_dataset(source: str | None, model: str | None, threshold: Any) -> tuple[Any, ...]:
        return show_dataset(state, source, model=model, threshold=threshold)

    @guard
    def on_columns(
        source: str | None, text_col: str | None, label_col: str | None, model: str | None,
        threshold: Any, task: str | None, pair_col: str | None,
    ) -> Any:  # fmt: skip
        return show_dataset(state, source, text_col, label_col, model, threshold, task,
                            pair_col or None)  # fmt: skip

    @guard
    def on_model_note(
        source: str | None, text_col: str | None, label_col: str | None, model: str | None,
        threshold: Any, task: str | None, pair_col: str | None,
    ) -> Any:  # fmt: skip
        # Only the summary follows the model: the table and column pickers stay as they are,
        # so a Start pressed meanwhile is not raced by their update.
        return show_dataset(state, source, text_col, label_col, model, threshold, task,
                            pair_col or None)[-1]  # fmt: skip

    @guard
    def on_upload(file: str | None) -> Any:
        return add_upload(state, file)

    @guard
    def on_model(model: str | None) -> str:
        return show_model(state, model)

    threshold = f[field_key("cfg", "unknown_token_warning")]
    dataset = [f["data"], f["model"], threshold]
    columns = [f["data"], f["text_column"], f["label_column"], f["model"], threshold, f["task"],
               f["text_pair_column"]]  # fmt: skip
    demo.load(on_dataset, dataset, preview_outputs, **PRIVATE)
    demo.load(on_model, f["model"], tab.model_info, **PRIVATE)
    for event in (f["model"].blur, f["model"].submit):
        event(on_model, f["model"], tab.model_info, **PRIVATE).then(
            on_model_note, columns, tab.info, **PRIVATE
        )
    f["data"].input(on_dataset, dataset, preview_outputs, **PRIVATE)
    for picker in (f["text_column"], f["label_column"], threshold, f["task"],
                   f["text_pair_column"]):  # fmt: skip
        picker.input(on_columns, columns, preview_outputs, **PRIVATE)
    tab.upload.upload(on_upload, tab.upload, f["data"], **PRIVATE).then(
        on_dataset, dataset, preview_outputs, **PRIVATE
    )


def _wire_suggestions(state: AppState, tab: TrainTab, demo: gr.Blocks) -> None:
    """The suggested models follow the method and the settings that size a run; a click on one
    puts its id in the model box."""
    guard, f = friendly(state.lang), tab.fields
    names = ("batch_size", "max_length", "precision", "gradient_checkpointing")
    sizing = [f["method"], *(f[field_key("cfg", name)] for name in names)]

    @guard
    def on_sizing(*values: Any) -> Any:
        return suggestion_table(state, *values)

    @guard
    def on_pick(table: Any, event: gr.SelectData) -> Any:
        model = picked_model(table, event.index[0])
        return gr.skip() if model is None else model

    demo.load(on_sizing, sizing, tab.suggestions, **PRIVATE)
    for component in sizing:
        component.change(on_sizing, sizing, tab.suggestions, **PRIVATE)
    tab.suggestions.select(on_pick, tab.suggestions, f["model"], **PRIVATE).then(
        lambda model: show_model(state, model), f["model"], tab.model_info, **PRIVATE
    )


def _wire_actions(state: AppState, tab: TrainTab) -> None:
    """The method's settings, Check, Start and Stop."""
    guard = friendly(state.lang)
    code = [tab.command, tab.yaml]

    @guard
    def on_check(values: dict[Any, Any]) -> tuple[str, str, str]:
        return check_form(state, tab.values(values))

    @guard
    def on_start(values: dict[Any, Any]) -> tuple[str, str, str, str]:
        plan, status, run_id = start_training(state, tab.values(values))
        config = TrainConfig.from_stored(state.store.get_run(run_id)["config"])
        return (plan, status, *code_views(confine.without_out(config)))

    @guard
    def on_stop() -> str:
        return stop_training(state)

    method = tab.fields["method"]
    method.change(switch_method, method, list(tab.groups.values()), **PRIVATE)
    tab.check.click(on_check, tab.inputs(), [tab.estimate, *code], **PRIVATE)
    tab.start_event = tab.start.click(
        on_start, tab.inputs(), [tab.estimate, tab.status, *code], **PRIVATE
    )
    tab.stop.click(on_stop, None, tab.status, **PRIVATE)
