"""Monitor's "Where it goes wrong", without Gradio: a finished run judged again on its
validation rows (summary, per-label table, mistakes and their CSV, disagreements with a second run).

The figures come from :mod:`core.analysis.mistakes`, which keeps each run's predictions in a
bounded cache, so switching between counts and shares or filtering the mistakes does not
predict again. The functions take run ids only: the dataset read is the one stored with the
run, and the app reads it only when it lies where the app reads datasets from
(:mod:`app.shared.confine`), as a run trained through the app always does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from app.shared import confine
from app.shared.state import AppState
from app.tabs.monitor.diagnose_plots import confusion_figure
from app.tabs.monitor.diagnose_tagged import entity_errors, is_tagging_run
from core.analysis import mistakes as engine
from core.analysis.mistakes import RunPredictions
from core.config import TrainConfig
from core.errors import DataError, InputError
from core.tasks import get_task

SHOWN_ROWS = 500
"""Mistakes and disagreements listed in a table; the CSV holds every mistake."""


def predictions(state: AppState, run_id: Any) -> RunPredictions:
    """The run's validation predictions (cached); refused for a dataset the app does not serve."""
    if run_id in (None, ""):
        raise InputError(state.text("diag_no_run"))
    run = state.store.get_run(int(run_id))
    data = TrainConfig.from_stored(run.get("config")).data
    if confine.data_refusal(state, data):
        raise DataError(state.text("diag_outside", run_id=run["id"], data=data))
    return engine.run_predictions(state.store, int(run_id), predictor=state.predictor())


def summary_text(state: AppState, preds: RunPredictions) -> str:
    figures = engine.summary(preds)
    sample = ""
    if figures["rows"] < figures["validation_rows"]:
        sample = state.text("diag_sample", total=f"{figures['validation_rows']:,}")
    if preds.scores:
        numbers = {k: f"{figures[k]:.3f}" for k in ("pearson", "spearman", "mse", "mae")}
        return state.text(
            "diag_summary_score", run=preds.label, rows=f"{figures['rows']:,}", sample=sample,
            **numbers,
        )  # fmt: skip
    accuracy = "" if figures["accuracy"] is None else f"{figures['accuracy']:.1%}"
    return state.text(
        "diag_summary", run=preds.label, rows=f"{figures['rows']:,}", sample=sample,
        wrong=f"{figures['wrong']:,}", accuracy=accuracy,
    )  # fmt: skip


def class_columns(state: AppState) -> list[str]:
    keys = ("diag_col_precision", "diag_col_recall", "diag_col_f1", "diag_col_support")
    return [state.text("label"), *(state.text(k) for k in keys)]


def class_table(state: AppState, preds: RunPredictions) -> pd.DataFrame:
    """Precision, recall and F1 (two decimals) and examples per label."""
    rows = [
        [row["label"], f"{row['precision']:.2f}", f"{row['recall']:.2f}", f"{row['f1']:.2f}",
         row["support"]]
        for row in engine.per_class(preds)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=class_columns(state))


def error_columns(state: AppState, scores: bool = False) -> list[str]:
    keys = ("diag_col_row", "col_text", "diag_col_true", "diag_col_predicted")
    last = "diag_col_error" if scores else "diag_col_confidence"
    return [*(state.text(k) for k in keys), state.text(last)]


def measure(preds: RunPredictions, value: float) -> str:
    """A mistake's confidence as a share, or a score's error as a number."""
    return f"{value:.3f}" if preds.scores else f"{value:.1%}"


def shown(text: Any) -> str:
    """A validation row's text as a table cell: a pair's two texts, one after the other."""
    if isinstance(text, tuple):
        return get_task("pair").display(text)
    return str(text)


def _label(value: Any) -> str | None:
    """A filter's value: None for "any"."""
    return None if value in (None, "") else str(value)


def error_rows(
    state: AppState, run_id: Any, true_label: Any = None, predicted_label: Any = None
) -> tuple[pd.DataFrame, str, str]:
    """The filtered mistakes as a table (the most confident :data:`SHOWN_ROWS`), the path of a
    CSV of all of them, and a note on what is shown (a tagger: its entity mistakes)."""
    if is_tagging_run(state, run_id):
        return entity_errors(state, run_id)
    preds = predictions(state, run_id)
    wrong = engine.mistakes(preds, _label(true_label), _label(predicted_label))
    cells = [
        [row["row"] + 1, shown(row["text"]), row["true"], row["predicted"],
         measure(preds, row["confidence"])]
        for row in wrong
    ]  # fmt: skip
    columns = error_columns(state, preds.scores)
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
    paired = any(isinstance(r["text"], tuple) for r in wrong)
    columns = ["row", "text", *(["text_pair"] if paired else []), "true_label",
               "predicted_label", "confidence"]  # fmt: skip
    rows = [
        [r["row"] + 1, *(r["text"] if paired else [r["text"]]), r["true"], r["predicted"],
         r["confidence"]]
        for r in wrong
    ]  # fmt: skip
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False, encoding="utf-8-sig")
    return str(path)


def disagreement_columns(state: AppState, first: str | None = None,
                         second: str | None = None) -> list[str]:  # fmt: skip
    """The disagreement table's headers, naming the two runs (in general words without them)."""
    columns = [state.text("diag_col_row"), state.text("col_text"), state.text("diag_col_true")]
    for run in (first or state.text("diag_first_run"), second or state.text("diag_second_run")):
        columns += [state.text("diag_col_run_label", run=run),
                    state.text("diag_col_run_confidence", run=run)]  # fmt: skip
    return columns


def disagreement_rows(state: AppState, run_id: Any, other_id: Any) -> tuple[pd.DataFrame, str]:
    """Where two runs label a validation row differently, and a note; an empty table (with its
    headers) and a hint without a second run."""
    if other_id in (None, ""):
        return pd.DataFrame(columns=disagreement_columns(state)), state.text("diag_no_other")
    if str(other_id) == str(run_id):
        raise InputError(state.text("diag_same_run"))
    if is_tagging_run(state, run_id) or is_tagging_run(state, other_id):
        return pd.DataFrame(columns=disagreement_columns(state)), state.text("tagging_no_disagree")
    first, second = predictions(state, run_id), predictions(state, other_id)
    rows = engine.disagreements(first, second)
    columns = disagreement_columns(state, first.label, second.label)
    cells = [
        [r["row"] + 1, shown(r["text"]), r["true"], r["first"],
         measure(first, r["first_confidence"]), r["second"],
         measure(first, r["second_confidence"])]
        for r in rows[:SHOWN_ROWS]
    ]  # fmt: skip
    return pd.DataFrame(cells, columns=columns), "" if rows else state.text("diag_agree")


def confusion_plot(state: AppState, run_id: Any, normalised: bool) -> go.Figure:
    if is_tagging_run(state, run_id):  # entities, not classes: no matrix
        return confusion_figure(None, normalised, state.lang)
    return confusion_figure(engine.confusion(predictions(state, run_id)), normalised, state.lang)


def empty_tables(state: AppState) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The per-label, mistakes and disagreement tables before a run is shown: no rows, their
    headers."""
    return (pd.DataFrame(columns=class_columns(state)), pd.DataFrame(columns=error_columns(state)),
            pd.DataFrame(columns=disagreement_columns(state)))  # fmt: skip
