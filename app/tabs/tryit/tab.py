"""Try it tab: several trained runs judge a sentence side by side, say why, show a prompt's
words; batch files; export.

While the tab is shown the page clock keeps its run pickers up with the store
(:mod:`app.shared.run_lists`): they are redrawn when a run ends, starts, is added or is deleted,
here or in another process, and left alone otherwise.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from app.i18n import t
from app.shared.actions import pair_runs
from app.shared.errors import friendly
from app.shared.explain import show_why
from app.shared.run_lists import refresh_if_changed
from app.shared.state import AppState
from app.tabs.contract import TabParts
from app.tabs.tryit.export import export_merged_run, export_run
from app.tabs.tryit.predict import judge_text, predict_file
from app.tabs.tryit.prompt_words import columns
from app.tabs.tryit.thresholds import columns as threshold_columns
from app.tabs.tryit.thresholds import threshold_table
from app.tabs.tryit.view import refresh_lists, show_prompt_words

POLL_SECONDS = 3.0
PRIVATE: dict[str, Any] = {"api_visibility": "private"}
EXAMPLES = {
    "en": [
        "The battery lasts all day and the screen is gorgeous.",
        "The waiter ignored us and the soup was cold.",
        "A slow, confusing film with a wonderful soundtrack.",
        "I would happily stay at this hotel again.",
    ],
    "zh": [
        "这家酒店的服务很好，房间也很干净。",
        "房间又小又吵，早餐也很差。",
        "The battery lasts all day and the screen is gorgeous.",
        "The waiter ignored us and the soup was cold.",
    ],
}


class TryItTab(TabParts):
    """The Try it tab: its components once built, its list handler ``on_refresh``, and its part
    of the page's contract."""

    id = "tryit"
    title = "tab_tryit"
    poll_seconds = POLL_SECONDS
    state: AppState
    text: Any
    text_pair: Any
    thresholds: Any
    runs: Any
    refresh_button: Any
    predict: Any
    result: Any
    chart: Any
    entities: Any
    batch_file: Any
    batch_out: Any
    batch_run: Any
    export_run: Any
    export_button: Any
    export_file: Any
    merged_button: Any
    merged_file: Any
    why: Any
    why_out: Any
    prompt_run: Any
    prompt_k: Any
    prompt_show: Any
    prompt_note: Any
    prompt_table: Any
    seen: Any
    on_refresh: Any
    lists: list[Any]

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        self.state = state
        self.seen = gr.State(None)
        _judge_layout(state, self)
        _views_layout(state, self)
        _files_layout(self)
        _wire(state, self)
        self.refresh_inputs = [self.seen, *self.lists]
        self.refresh_outputs = [self.seen, *self.lists]

    def refresh(self, *values: Any) -> tuple:
        seen, *lists = values
        return refresh_if_changed(self.state, seen, self.on_refresh, lists)


def build_tryit_tab(state: AppState, demo: gr.Blocks) -> TryItTab:
    """Lay out the Try it tab and wire its events; returns its :class:`TryItTab`."""
    tab = TryItTab()
    tab.build(state, demo)
    return tab


# ----------------------------------------------------------------------------- layout
def _judge_layout(state: AppState, c: TryItTab) -> None:
    with gr.Row():
        with gr.Column(scale=3):
            c.text = gr.Textbox(
                label=t("tryit_text"), placeholder=t("tryit_text_placeholder"), lines=3,
                elem_id="tryit-text",
            )  # fmt: skip
            c.text_pair = gr.Textbox(
                label=t("tryit_text_pair"), placeholder=t("tryit_text_pair_placeholder"),
                lines=2, visible=False, elem_id="tryit-text-pair",
            )  # fmt: skip
            gr.Examples(EXAMPLES[state.lang], inputs=c.text, label=t("tryit_examples"))
        with gr.Column(scale=2):
            c.runs = gr.Dropdown(
                multiselect=True, label=t("tryit_runs"), info=t("tryit_runs_info"),
                elem_id="tryit-run",
            )  # fmt: skip
            with gr.Row():
                c.refresh_button = gr.Button(t("tryit_refresh"), elem_id="tryit-refresh")
                c.predict = gr.Button(
                    t("tryit_predict"), variant="primary", elem_id="tryit-predict"
                )
    c.result = gr.Dataframe(
        pd.DataFrame(columns=[state.text("run"), state.text("label"), state.text("col_score")]),
        label=t("tryit_result"), interactive=False, elem_id="tryit-result",
    )  # fmt: skip
    c.entities = gr.HighlightedText(
        label=t("tryit_entities"), show_legend=True, visible=False, elem_id="tryit-entities"
    )
    c.chart = gr.Plot(label=t("tryit_chart"), elem_id="tryit-chart")
    c.thresholds = gr.Dataframe(
        pd.DataFrame(columns=threshold_columns(state)), label=t("tryit_thresholds"),
        interactive=True, visible=False, elem_id="tryit-thresholds",
    )  # fmt: skip


def _views_layout(state: AppState, c: TryItTab) -> None:
    """The "Why?" and "Prompt words" accordions."""
    with gr.Accordion(t("tryit_why"), open=False):
        gr.Markdown(t("tryit_why_legend"))
        c.why = gr.Button(t("tryit_why_button"), elem_id="tryit-why")
        c.why_out = gr.HTML(elem_id="tryit-why-out")
    with gr.Accordion(t("tryit_prompt_words"), open=False):
        with gr.Row():
            c.prompt_run = gr.Dropdown(
                label=t("tryit_prompt_run"), info=t("tryit_prompt_run_info"),
                elem_id="tryit-prompt-run",
            )  # fmt: skip
            c.prompt_k = gr.Slider(
                1, 20, value=5, step=1, label=t("tryit_prompt_k"), elem_id="tryit-prompt-k"
            )
            c.prompt_show = gr.Button(t("tryit_prompt_show"), elem_id="tryit-prompt-show")
        c.prompt_note = gr.Markdown(elem_id="tryit-prompt-note")
        c.prompt_table = gr.Dataframe(
            pd.DataFrame(columns=columns(state)), label=t("tryit_prompt_table"),
            interactive=False, elem_id="tryit-prompt-table",
        )  # fmt: skip


def _files_layout(c: TryItTab) -> None:
    """The batch file and the export accordions."""
    with gr.Accordion(t("tryit_batch"), open=False):
        with gr.Row():
            c.batch_file = gr.File(
                label=t("tryit_batch_file"), file_types=[".csv", ".tsv", ".txt"],
                elem_id="tryit-batch-file",
            )  # fmt: skip
            c.batch_out = gr.File(label=t("tryit_batch_out"), elem_id="tryit-batch-out")
        c.batch_run = gr.Button(t("tryit_batch_run"), elem_id="tryit-batch-run")
    with gr.Accordion(t("tryit_export"), open=False):
        with gr.Row():
            c.export_run = gr.Dropdown(label=t("tryit_export_run"), elem_id="tryit-export-run")
            c.export_button = gr.Button(t("tryit_export_button"), elem_id="tryit-export")
            c.export_file = gr.File(label=t("tryit_export_file"), elem_id="tryit-export-file")
        gr.Markdown(t("tryit_export_merged_info"))
        with gr.Row():
            c.merged_button = gr.Button(t("tryit_export_merged"), elem_id="tryit-export-merged")
            c.merged_file = gr.File(
                label=t("tryit_export_merged_file"), elem_id="tryit-export-merged-file"
            )


# ----------------------------------------------------------------------------- wiring
def _wire(state: AppState, c: TryItTab) -> None:
    guard = friendly(state.lang)

    @guard
    def on_refresh(
        selected: list[int] | None, export: int | None = None, prompt_run: int | None = None
    ) -> tuple[Any, Any, Any]:
        return refresh_lists(state, selected, export, prompt_run)

    @guard
    def on_predict(
        text: str, run_ids: list[int], pair: str | None, thresholds: pd.DataFrame | None = None
    ) -> tuple[Any, Any, Any]:
        table, chart, pieces = judge_text(state, text, run_ids, pair, thresholds)
        return table, chart, gr.update(value=pieces, visible=bool(pieces))

    @guard
    def on_runs(run_ids: list[int] | None) -> tuple[Any, Any]:
        table = threshold_table(state, run_ids)
        return (
            gr.update(visible=pair_runs(state, run_ids)),
            gr.update(value=table, visible=len(table) > 0),
        )

    @guard
    def on_batch(file: str | None, run_ids: list[int]) -> str:
        return predict_file(state, file, run_ids)

    @guard
    def on_export(run_id: int | None) -> str:
        return export_run(state, run_id)

    @guard
    def on_export_merged(run_id: int | None) -> str:
        return export_merged_run(state, run_id)

    @guard
    def on_why(text: str, run_ids: list[int], pair: str | None = None) -> str:
        return show_why(state, text, run_ids, pair)

    @guard
    def on_prompt_words(run_id: int | None, k: float) -> tuple[Any, str]:
        return show_prompt_words(state, run_id, k)

    c.on_refresh, c.lists = on_refresh, [c.runs, c.export_run, c.prompt_run]
    c.refresh_button.click(on_refresh, c.lists, c.lists, **PRIVATE)
    judged = [c.text, c.runs, c.text_pair, c.thresholds]
    shown = [c.result, c.chart, c.entities]
    c.predict.click(on_predict, judged, shown, **PRIVATE)
    c.text.submit(on_predict, judged, shown, **PRIVATE)
    c.text_pair.submit(on_predict, judged, shown, **PRIVATE)
    c.runs.change(on_runs, c.runs, [c.text_pair, c.thresholds], **PRIVATE)
    c.batch_run.click(on_batch, [c.batch_file, c.runs], c.batch_out, **PRIVATE)
    c.export_button.click(on_export, c.export_run, c.export_file, **PRIVATE)
    c.merged_button.click(on_export_merged, c.export_run, c.merged_file, **PRIVATE)
    c.why.click(on_why, [c.text, c.runs, c.text_pair], c.why_out, **PRIVATE)
    prompt_out = [c.prompt_table, c.prompt_note]
    c.prompt_show.click(on_prompt_words, [c.prompt_run, c.prompt_k], prompt_out, **PRIVATE)
