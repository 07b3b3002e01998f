"""Try it tab: several trained runs judge a sentence side by side; batch files; export."""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from app import explain_view
from app.actions import predict_runs, run_choices
from app.errors import friendly
from app.i18n import t
from app.plots import prediction_figure
from app.run_lists import watch_runs
from app.state import AppState, check_text_length
from core.data.columns import TEXT_NAMES
from core.data.reading import read_table, read_text
from core.errors import InputError
from core.export import export_merged, merge_obstacle
from core.messages import say
from core.methods import get_method
from core.training.artifacts import read_meta
from core.training.recording import adapter_folder

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
STREAMED = (".txt", ".csv", ".tsv", ".jsonl")
"""Batch file types whose rows :func:`count_rows` counts without holding the file."""


# ----------------------------------------------------------------------------- handlers


def _check(state: AppState, text: str | None, run_ids: list[int] | None) -> None:
    if not run_ids:
        raise InputError(state.text("no_run_selected"))
    if text is not None and not text.strip():
        raise InputError(state.text("no_text"))
    if text is not None:
        check_text_length(state, text.strip())


def predict_text(state: AppState, text: str, run_ids: list[int]) -> tuple[pd.DataFrame, Any]:
    """Each run's label and probability for one sentence: a table and a bar chart."""
    _check(state, text, run_ids)
    results = predict_runs(state, [text.strip()], run_ids)
    table = pd.DataFrame(
        [[r["run"], r["label"], f"{r['score']:.1%}"] for r in results],
        columns=[state.text("run"), state.text("label"), state.text("col_score")],
    )
    return table, prediction_figure(results, state.lang)


def read_texts(path: str | Path) -> list[str]:
    """Texts of a batch file: TXT one per line; CSV/TSV/JSON its text column."""
    path = Path(path)
    if path.suffix.lower() == ".txt":
        lines = read_text(path).splitlines()
        return [line.strip() for line in lines if line.strip()]
    df = read_table(path)
    by_lower = {str(c).lower(): c for c in df.columns}
    column = next((by_lower[n] for n in TEXT_NAMES if n in by_lower), None)
    if column is None:
        strings = [c for c in df.columns if df[c].map(lambda v: isinstance(v, str)).all()]
        if not strings:
            raise InputError(say("{file} has no column of texts; name it 'text'", file=path.name))
        column = max(strings, key=lambda c: df[c].str.len().mean())
    return [str(v).strip() for v in df[column].tolist() if str(v).strip()]


def _rows(path: Path) -> Iterator[Any]:
    """The rows of a TXT, JSON lines, CSV or TSV file, one at a time (no header, no blank
    lines of TXT and JSON lines)."""
    ext = path.suffix.lower()
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if ext in (".txt", ".jsonl"):
            yield from (line for line in handle if line.strip())
            return
        reader = csv.reader(handle, delimiter="\t" if ext == ".tsv" else ",")
        next(reader, None)
        yield from reader


def count_rows(path: str | Path, stop: int) -> int | None:
    """Rows of a batch file, read one at a time and counted up to ``stop`` at most; None when
    the file type must be read whole (JSON, Parquet) or the file cannot be read this way (the
    full read then says why)."""
    path = Path(path)
    if path.suffix.lower() not in STREAMED:
        return None
    try:
        with closing(_rows(path)) as rows:
            return sum(1 for _ in islice(rows, stop))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def predict_file(state: AppState, file: str | None, run_ids: list[int]) -> str:
    """Classify every text of an uploaded file; the path of a CSV with the predictions.

    A file with more rows than the app's ``--max-batch-rows`` is refused, before it is read
    whole when its rows can be counted one by one.
    """
    if not file:
        raise InputError(state.text("no_file"))
    _check(state, None, run_ids)
    cap = state.limits.max_batch_rows
    too_long = state.text("batch_too_long", name=Path(file).name, limit=f"{cap:,}")
    if (count_rows(file, cap + 1) or 0) > cap:
        raise InputError(too_long)
    texts = read_texts(file)
    if len(texts) > cap:  # rows the count could not see, e.g. a JSON file
        raise InputError(too_long)
    if not texts:
        raise InputError(state.text("empty_file"))
    results = predict_runs(state, texts, run_ids)
    out = Path(tempfile.mkdtemp(prefix="ptune-batch-")) / f"{Path(file).stem}-predictions.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "run_id", "run", "label", "score"])
        per_run = len(texts)
        for i, row in enumerate(results):
            writer.writerow([texts[i % per_run], row["run_id"], row["run"], row["label"],
                             f"{row['score']:.6f}"])  # fmt: skip
    return str(out)


def export_run(state: AppState, run_id: int | None) -> str:
    """The run (adapter, settings, metrics) as a zip file to download."""
    if run_id is None:
        raise InputError(state.text("no_run_selected"))
    folder = Path(tempfile.mkdtemp(prefix="ptune-export-"))
    return str(state.store.export_run(int(run_id), folder / f"ptune-run-{int(run_id)}.zip"))


def _kept(value: int | None, ids: list[int]) -> int | None:
    return value if value in ids else (ids[0] if ids else None)


def refresh_lists(
    state: AppState, selected: list[int] | None, export: int | None, prompt_run: int | None
) -> tuple[Any, Any, Any]:
    """The run pickers (runs to judge with, run to export, prompt run) with the runs that can
    predict now, keeping each choice that still exists (else the newest run)."""
    choices = run_choices(state)
    ids = [value for _, value in choices]
    kept = [i for i in selected or [] if i in ids] or ids[:1]
    prompt = explain_view.prompt_run_choices(state, choices)
    return (
        gr.update(choices=choices, value=kept),
        gr.update(choices=choices, value=_kept(export, ids)),
        gr.update(choices=prompt, value=_kept(prompt_run, [value for _, value in prompt])),
    )


def export_merged_run(state: AppState, run_id: int | None) -> str:
    """The run as one plain Hugging Face model folder, zipped, to download; runs whose method
    or pooling a plain model lacks are refused, saying what to ship instead."""
    if run_id is None:
        raise InputError(state.text("no_run_selected"))
    adapter = adapter_folder(state.store, int(run_id))
    meta = read_meta(adapter)
    method = get_method(meta["method"])
    obstacle = merge_obstacle(meta)
    if obstacle is not None:
        title = method.title_in(state.lang)
        reason = method.merge_refusal_in(state.lang)
        refusal = state.text(f"merge_refused_{obstacle}", method=title, reason=reason)
        raise InputError(f"{refusal} {state.text('merge_ship_adapter')}")
    work = Path(tempfile.mkdtemp(prefix="ptune-merged-"))
    name = f"ptune-run-{int(run_id)}-merged"
    try:
        export_merged(adapter, work / name)
        return shutil.make_archive(str(work / name), "zip", root_dir=work, base_dir=name)
    finally:
        shutil.rmtree(work / name, ignore_errors=True)  # the zip holds it


# ----------------------------------------------------------------------------- layout


@dataclass
class TryItTab:
    """The Try it tab's components and the handlers other tabs chain to."""

    text: Any = None
    runs: Any = None
    refresh: Any = None
    predict: Any = None
    result: Any = None
    chart: Any = None
    batch_file: Any = None
    batch_out: Any = None
    batch_run: Any = None
    export_run: Any = None
    export_button: Any = None
    export_file: Any = None
    merged_button: Any = None
    merged_file: Any = None
    prompt_run: Any = None
    why: Any = None
    why_out: Any = None
    prompt_table: Any = None
    prompt_note: Any = None
    prompt_show: Any = None
    prompt_k: Any = None
    on_refresh: Any = None
    lists: Any = None


def build_tryit_tab(state: AppState, demo: gr.Blocks) -> TryItTab:
    """Lay out the Try it tab and wire its events; returns its :class:`TryItTab`."""
    c = TryItTab()
    with gr.Row():
        with gr.Column(scale=3):
            c.text = gr.Textbox(
                label=t("tryit_text"), placeholder=t("tryit_text_placeholder"), lines=3,
                elem_id="tryit-text",
            )  # fmt: skip
            gr.Examples(EXAMPLES[state.lang], inputs=c.text, label=t("tryit_examples"))
        with gr.Column(scale=2):
            c.runs = gr.Dropdown(
                multiselect=True, label=t("tryit_runs"), info=t("tryit_runs_info"),
                elem_id="tryit-run",
            )  # fmt: skip
            with gr.Row():
                c.refresh = gr.Button(t("tryit_refresh"), elem_id="tryit-refresh")
                c.predict = gr.Button(
                    t("tryit_predict"), variant="primary", elem_id="tryit-predict"
                )
    c.result = gr.Dataframe(label=t("tryit_result"), interactive=False, elem_id="tryit-result")
    c.chart = gr.Plot(label=t("tryit_chart"), elem_id="tryit-chart")
    for name, component in explain_view.build_views().items():
        setattr(c, name, component)
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
    _wire(state, demo, c)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: TryItTab) -> None:
    guard = friendly(state.lang)
    private = {"api_visibility": "private"}

    @guard
    def on_refresh(
        selected: list[int] | None, export: int | None = None, prompt_run: int | None = None
    ) -> tuple[Any, Any, Any]:
        return refresh_lists(state, selected, export, prompt_run)

    @guard
    def on_predict(text: str, run_ids: list[int]) -> tuple[pd.DataFrame, Any]:
        return predict_text(state, text, run_ids)

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
    def on_why(text: str, run_ids: list[int]) -> str:
        return explain_view.show_why(state, text, run_ids)

    @guard
    def on_prompt_words(run_id: int | None, k: float) -> tuple[Any, str]:
        return explain_view.show_prompt_words(state, run_id, k)

    lists = [c.runs, c.export_run, c.prompt_run]
    demo.load(on_refresh, lists, lists, **private)
    c.refresh.click(on_refresh, lists, lists, **private)
    watch_runs(state, on_refresh, lists, lists)
    c.predict.click(on_predict, [c.text, c.runs], [c.result, c.chart], **private)
    c.text.submit(on_predict, [c.text, c.runs], [c.result, c.chart], **private)
    c.batch_run.click(on_batch, [c.batch_file, c.runs], c.batch_out, **private)
    c.export_button.click(on_export, c.export_run, c.export_file, **private)
    c.merged_button.click(on_export_merged, c.export_run, c.merged_file, **private)
    c.why.click(on_why, [c.text, c.runs], c.why_out, **private)
    prompt_out = [c.prompt_table, c.prompt_note]
    c.prompt_show.click(on_prompt_words, [c.prompt_run, c.prompt_k], prompt_out, **private)
    c.on_refresh = on_refresh
    c.lists = lists
