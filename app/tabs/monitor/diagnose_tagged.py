"""Monitor's diagnosis of a run that tags words: entity precision, recall and F1 per type (in
place of the per-label table and the confusion matrix of classes) and the sentences with
missed and spurious entities (in place of the mistakes table), with their CSV."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from app.shared.state import AppState
from app.tabs.monitor.diagnose_plots import confusion_figure
from core.analysis.tag_mistakes import (
    TaggedPredictions,
    mistake_rows,
    tagged_predictions,
    type_scores,
)
from core.errors import PTuneError
from core.tasks import TASKS
from core.training.artifacts import task_of_folder
from core.training.recording import adapter_folder
from storage.errors import StorageError

SHOWN_ROWS = 500


def is_tagging_run(state: AppState, run_id: Any) -> bool:
    """Whether the run ``run_id`` (a picker's value) trained a tagger; False for a run without
    an adapter (the classes' diagnosis then says why)."""
    if run_id in (None, ""):
        return False
    try:
        folder = adapter_folder(state.store, int(run_id))
    except (PTuneError, StorageError):
        return False
    task = TASKS.get(task_of_folder(folder))  # a task of a later version: not a tagger here
    return task is not None and task.tags_words


def tagged(state: AppState, run_id: Any) -> TaggedPredictions:
    return tagged_predictions(state.store, int(run_id), predictor=state.predictor())


def type_table(state: AppState, preds: TaggedPredictions) -> pd.DataFrame:
    """Entity precision, recall, F1 (two decimals) and true entities per type, then overall."""
    keys = ("tagging_type", "tagging_precision", "tagging_recall", "tagging_f1", "tagging_support")
    rows = [
        [row["type"] or state.text("tagging_overall"), f"{row['precision']:.2f}",
         f"{row['recall']:.2f}", f"{row['f1']:.2f}", row["support"]]
        for row in type_scores(preds)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=[state.text(key) for key in keys])


def entity_errors(state: AppState, run_id: Any) -> tuple[pd.DataFrame, str, str]:
    """The sentences with missed or spurious entities (the first :data:`SHOWN_ROWS`), the path
    of a CSV of all of them, and a note."""
    preds = tagged(state, run_id)
    found = mistake_rows(preds)
    keys = ("tagging_sentence", "col_text", "tagging_missed", "tagging_spurious")
    cells = [
        [row["row"] + 1, row["text"], "; ".join(row["missed"]), "; ".join(row["spurious"])]
        for row in found
    ]
    table = pd.DataFrame(cells[:SHOWN_ROWS], columns=[state.text(key) for key in keys])
    note = state.text("diag_no_mistakes") if not found else ""
    if len(found) > SHOWN_ROWS:
        note = state.text("diag_shown", shown=f"{SHOWN_ROWS:,}", total=f"{len(found):,}")
    path = Path(tempfile.mkdtemp(prefix="ptune-mistakes-")) / f"run-{run_id}-entities.csv"
    columns = ["sentence", "text", "missed", "spurious"]
    pd.DataFrame(cells, columns=columns).to_csv(path, index=False, encoding="utf-8-sig")
    return table, str(path), note


def diagnose_tagged(state: AppState, run_id: Any) -> tuple:
    """:func:`app.tabs.monitor.diagnose_view.diagnose`'s outputs for a tagger: its entity F1,
    no confusion matrix, the per-type table, no label filters, the entity mistakes."""
    preds = tagged(state, run_id)
    overall = type_scores(preds)[-1]
    summary = state.text(
        "tagging_diag_summary", run=preds.label, rows=f"{len(preds.words):,}",
        total=f"{preds.validation_rows:,}", f1=f"{overall['f1']:.1%}",
    )  # fmt: skip
    table, csv_path, note = entity_errors(state, run_id)
    only_any = gr.update(choices=[(state.text("diag_any"), "")], value="")
    figure = confusion_figure(None, False, state.lang)
    return (summary, figure, type_table(state, preds), only_any, only_any, table, csv_path,
            note, "", int(run_id))  # fmt: skip
