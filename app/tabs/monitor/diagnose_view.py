"""Monitor's "Where it goes wrong": a finished run judged again on its validation rows.

The figures come from :mod:`core.analysis.mistakes`, which keeps each run's predictions in a
bounded cache, so switching between counts and shares or filtering the mistakes does not
predict again. The handlers take run ids only: the dataset read is the one stored with the
run, and the app reads it only when it lies where the app reads datasets from
(:mod:`app.confine`), as a run trained through the app always does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
import plotly.graph_objects as go

from app import confine
from app.actions import run_choices
from app.diagnose_plots import confusion_figure
from app.errors import friendly
from app.explain_view import show_why
from app.i18n import t
from app.run_lists import watch_runs
from app.state import AppState
from core.analysis import mistakes as engine
from core.analysis.mistakes import RunPredictions
from core.errors import DataError, InputError

SHOWN_ROWS = 500
"""Mistakes and disagreements listed in a table; the CSV holds every mistake."""


# ----------------------------------------------------------------------------- data
def predictions(state: AppState, run_id: Any) -> RunPredictions:
    """The run's validation predictions (cached); refused for a dataset the app does not serve."""
    if run_id in (None, ""):
        raise InputError(state.text("diag_no_run"))
    run = state.store.get_run(int(run_id))
    data = (run.get("config") or {}).get("data")
    if confine.data_refusal(state, data):
        raise DataError(state.text("diag_outside", run_id=run["id"], data=data))
    return engine.run_predictions(state.store, int(run_id), predictor=state.predictor())


def summary_text(state: AppState, preds: RunPredictions) -> str:
    figures = engine.summary(preds)
    sample = ""
    if figures["rows"] < figures["validation_rows"]:
        sample = state.text("diag_sample", total=f"{figures['validation_rows']:,}")
    accuracy = "" if figures["accuracy"] is None else f"{figures['accuracy']:.1%}"
    return state.text(
        "diag_summary", run=preds.label, rows=f"{figures['rows']:,}", sample=sample,
        wrong=f"{figures['wrong']:,}", accuracy=accuracy,
    )  # fmt: skip


def class_table(state: AppState, preds: RunPredictions) -> pd.DataFrame:
    """Precision, recall and F1 (two decimals) and examples per label."""
    keys = ("diag_col_precision", "diag_col_recall", "diag_col_f1", "diag_col_support")
    rows = [
        [row["label"], f"{row['precision']:.2f}", f"{row['recall']:.2f}", f"{row['f1']:.2f}",
         row["support"]]
        for row in engine.per_class(preds)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=[state.text("label"), *(state.text(k) for k in keys)])


def _error_columns(state: AppState) -> list[str]:
    keys = ("diag_col_row", "col_text", "diag_col_true", "diag_col_predicted")
    return [*(state.text(k) for k in keys), state.text("diag_col_confidence")]


def _label(value: Any) -> str | None:
    """A filter's value: None for "any"."""
    return None if value in (None, "") else str(value)


def error_rows(
    state: AppState, run_id: Any, true_label: Any = None, predicted_label: Any = None
) -> tuple[pd.DataFrame, str, str]:
    """The filtered mistakes as a table (the most confident :data:`SHOWN_ROWS`), the path of a
    CSV of all of them, and a note on what is shown."""
    preds = predictions(state, run_id)
    wrong = engine.mistakes(preds, _label(true_label), _label(predicted_label))
    cells = [
        [row["row"] + 1, row["text"], row["true"], row["predicted"], f"{row['confidence']:.1%}"]
        for row in wrong
    ]
    columns = _error_columns(state)
    table = pd.DataFrame(cells[:SHOWN_ROWS], columns=columns)
    note = state.text("diag_no_mistakes") if not wrong else ""
    if len(wrong) > SHOWN_ROWS:
        note = state.text("diag_shown", shown=f"{SHOWN_ROWS:,}", total=f"{len(wrong):,}")
    return table, write_csv(preds, wrong), note


def write_csv(preds: RunPredictions, wrong: list[dict[str, Any]]) -> str:
    """Every listed mistake in a fresh temporary CSV (UTF-8 with BOM, so spreadsheet programs
    read non-Latin text); its path."""
    folder = Path(tempfile.mkdtemp(prefix="ptune-mistakes-"))
    path = folder / f"run-{preds.run_id}-mistakes.csv"
    columns = ["row", "text", "true_label", "predicted_label", "confidence"]
    rows = [[r["row"] + 1, r["text"], r["true"], r["predicted"], r["confidence"]] for r in wrong]
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, encoding="utf-8-sig")
    return str(path)


def disagreement_rows(state: AppState, run_id: Any, other_id: Any) -> tuple[pd.DataFrame, str]:
    """Where two runs label a validation row differently, and a note; an empty table and a
    hint without a second run."""
    if other_id in (None, ""):
        return pd.DataFrame(), state.text("diag_no_other")
    if str(other_id) == str(run_id):
        raise InputError(state.text("diag_same_run"))
    first, second = predictions(state, run_id), predictions(state, other_id)
    rows = engine.disagreements(first, second)
    columns = [state.text("diag_col_row"), state.text("col_text"), state.text("diag_col_true")]
    for preds in (first, second):
        columns += [state.text("diag_col_run_label", run=preds.label),
                    state.text("diag_col_run_confidence", run=preds.label)]  # fmt: skip
    cells = [
        [r["row"] + 1, r["text"], r["true"], r["first"], f"{r['first_confidence']:.1%}",
         r["second"], f"{r['second_confidence']:.1%}"]
        for r in rows[:SHOWN_ROWS]
    ]  # fmt: skip
    return pd.DataFrame(cells, columns=columns), "" if rows else state.text("diag_agree")


def confusion_plot(state: AppState, run_id: Any, normalised: bool) -> go.Figure:
    return confusion_figure(engine.confusion(predictions(state, run_id)), normalised, state.lang)


def diagnose(state: AppState, run_id: Any, normalised: bool) -> tuple:
    """Summary, heatmap, per-label table, both filters (reset to "any"), mistakes, CSV, note,
    an emptied "Why?" and the run shown (which the filters and the toggle then follow)."""
    preds = predictions(state, run_id)
    choices = [(state.text("diag_any"), ""), *((name, name) for name in preds.label_names)]
    table, csv_path, note = error_rows(state, run_id)
    return (
        summary_text(state, preds),
        confusion_figure(engine.confusion(preds), normalised, state.lang),
        class_table(state, preds),
        gr.update(choices=choices, value=""),
        gr.update(choices=choices, value=""),
        table,
        csv_path,
        note,
        "",  # the "Why?" of a mistake of the run shown before
        int(run_id),
    )


def why_mistake(state: AppState, run_id: Any, event: gr.SelectData) -> str:
    """The "Why?" colouring of the clicked mistake's text under the run."""
    row = event.row_value or []
    if run_id in (None, "") or len(row) < 2 or not row[1]:
        return ""
    return show_why(state, str(row[1]), [int(run_id)])


def run_pickers(state: AppState, run_id: Any, other_id: Any) -> tuple:
    """Both run pickers with the finished runs, keeping the picked runs that still exist."""
    choices = run_choices(state)
    ids = {value for _, value in choices}
    # the second run is optional, so its picker can be set back to none
    others = [(state.text("diag_no_second"), ""), *choices]
    return (
        gr.update(choices=choices, value=run_id if run_id in ids else None),
        gr.update(choices=others, value=other_id if other_id in ids else ""),
    )


# ----------------------------------------------------------------------------- layout
def build_diagnose_view(state: AppState, demo: gr.Blocks) -> dict[str, Any]:
    """The "Where it goes wrong" accordion, wired; its components by name."""
    c: dict[str, Any] = {}
    with gr.Accordion(t("diag_title"), open=False, elem_id="monitor-diagnose"):
        gr.Markdown(t("diag_intro"))
        with gr.Row():
            c["run"] = gr.Dropdown(label=t("diag_run"), info=t("diag_run_info"),
                                   elem_id="monitor-diagnose-run", scale=3)  # fmt: skip
            c["other"] = gr.Dropdown(label=t("diag_other"), info=t("diag_other_info"),
                                     elem_id="monitor-diagnose-other", scale=3)  # fmt: skip
            with gr.Column(scale=1, min_width=160):
                c["show"] = gr.Button(t("diag_show"), variant="primary",
                                      elem_id="monitor-diagnose-show")  # fmt: skip
                c["refresh"] = gr.Button(t("diag_refresh"), elem_id="monitor-diagnose-refresh")
        c["shown"] = gr.State(None)
        c["summary"] = gr.Markdown(elem_id="monitor-diagnose-summary")
        c["normalised"] = gr.Checkbox(label=t("diag_normalised"),
                                      elem_id="monitor-confusion-normalised")  # fmt: skip
        c["plot"] = gr.Plot(elem_id="monitor-confusion", show_label=False)
        c["classes"] = gr.Dataframe(label=t("diag_classes"), interactive=False,
                                    elem_id="monitor-per-class")  # fmt: skip
        with gr.Row():
            c["true"] = gr.Dropdown(label=t("diag_true_filter"), elem_id="monitor-errors-true")
            c["predicted"] = gr.Dropdown(label=t("diag_predicted_filter"),
                                         elem_id="monitor-errors-predicted")  # fmt: skip
        c["note"] = gr.Markdown(elem_id="monitor-errors-note")
        c["errors"] = gr.Dataframe(label=t("diag_errors"), interactive=False, wrap=True,
                                   max_height=400, elem_id="monitor-errors")  # fmt: skip
        c["why"] = gr.HTML(elem_id="monitor-errors-why")
        c["csv"] = gr.File(label=t("diag_csv"), elem_id="monitor-errors-csv")
        c["disagree_note"] = gr.Markdown(elem_id="monitor-disagree-note")
        c["disagree"] = gr.Dataframe(label=t("diag_disagree"), interactive=False, wrap=True,
                                     max_height=400, elem_id="monitor-disagree")  # fmt: skip
    _wire(state, demo, c)
    return c


def _wire(state: AppState, demo: gr.Blocks, c: dict[str, Any]) -> None:
    guard = friendly(state.lang)
    private = {"api_visibility": "private"}

    @guard
    def on_choices(run_id: Any, other_id: Any) -> tuple:
        return run_pickers(state, run_id, other_id)

    @guard
    def on_show(run_id: Any, normalised: bool) -> tuple:
        return diagnose(state, run_id, bool(normalised))

    @guard
    def on_disagree(run_id: Any, other_id: Any) -> tuple:
        if run_id in (None, ""):
            return pd.DataFrame(), ""
        return disagreement_rows(state, run_id, other_id)

    @guard
    def on_mode(run_id: Any, normalised: bool) -> Any:
        return gr.skip() if run_id in (None, "") else confusion_plot(state, run_id, normalised)

    @guard
    def on_filter(run_id: Any, true_label: Any, predicted_label: Any) -> tuple:
        if run_id in (None, ""):
            return gr.skip(), gr.skip(), gr.skip()
        return error_rows(state, run_id, true_label, predicted_label)

    @guard
    def on_pick(run_id: Any, event: gr.SelectData) -> str:
        return why_mistake(state, run_id, event)

    pickers = [c["run"], c["other"]]
    shown = [c["summary"], c["plot"], c["classes"], c["true"], c["predicted"], c["errors"],
             c["csv"], c["note"], c["why"], c["shown"]]  # fmt: skip
    demo.load(on_choices, pickers, pickers, **private)
    watch_runs(state, on_choices, pickers, pickers)  # runs that end or go, here or elsewhere
    c["refresh"].click(on_choices, pickers, pickers, **private)
    # the second run's table only once the first run was shown; the toggle, the filters and a
    # clicked mistake follow the run shown, not a new pick not shown yet
    c["show"].click(on_show, [c["run"], c["normalised"]], shown, **private).success(
        on_disagree, pickers, [c["disagree"], c["disagree_note"]], **private
    )
    c["normalised"].input(on_mode, [c["shown"], c["normalised"]], c["plot"], **private)
    filters = [c["shown"], c["true"], c["predicted"]]
    for picker in (c["true"], c["predicted"]):
        picker.input(on_filter, filters, [c["errors"], c["csv"], c["note"]], **private)
    c["errors"].select(on_pick, c["shown"], c["why"], **private)
