"""What the Train tab shows as Gradio outputs: the dataset's preview (table, label chart, column
pickers and summary), an upload added to the picker, and the chosen method's settings."""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from app.i18n import text
from app.i18n.engine import translate
from app.shared.datasets import Preview, preview
from app.shared.language_note import language_note
from app.shared.state import AppState, dataset_choices, save_upload
from app.tabs.train.logic import is_hub_id
from app.tabs.train.plots import label_figure
from core.methods import METHODS
from core.tasks import TASK_CHOICES, get_task


def show_dataset(
    state: AppState, source: str | None, text_column: str | None = None,
    label_column: str | None = None, model: str | None = None, threshold: Any = None,
    task: str | None = None, text_pair_column: str | None = None,
) -> tuple[Any, ...]:  # fmt: skip
    """Preview table, label chart, column pickers (guessed: text, label, second text) and a
    summary naming the task the data makes and why, with a warning when ``model`` does not
    read the texts' language."""
    if not source or is_hub_id(source):
        empty = gr.update(choices=[], value=None)
        note = state.text("hub_dataset", name=source) if source else ""
        return pd.DataFrame(), label_figure({}, state.lang), empty, empty, empty, note
    view = preview(state, source, text_column, label_column, task, text_pair_column)
    summary = summary_line(state, view)
    if view.task:
        reason = translate(view.task_reason, state.lang)
        title = task_title(view.task, state.lang)
        summary += "\n\n" + state.text("dataset_task", title=title, task=view.task, reason=reason)
    note = language_note(state, model, view.sample, threshold)
    if note:
        summary += "\n\n⚠️ " + note
    return (
        view.head,
        label_figure(view.label_counts, state.lang),
        gr.update(choices=view.columns, value=view.text_column),
        gr.update(choices=view.columns, value=view.label_column),
        gr.update(choices=["", *view.columns], value=view.text_pair_column or ""),
        summary,
    )


def summary_line(state: AppState, view: Preview) -> str:
    """The data in one line: rows and labels (one 0/1 column per label, a score's range, tagged
    words' sentences and entities) and the columns read."""
    if view.tags:  # tagged words: label_counts counts entities per type
        return tagged_line(state, view)
    text = view.text_column or "?"
    if view.task and get_task(view.task).label_kind == "number":
        low, high = (f"{n:g}" for n in view.score_range) if view.score_range else ("?", "?")
        return state.text("dataset_score_summary", rows=f"{view.rows:,}", text=text,
                          label=view.label_column or "?", low=low, high=high)  # fmt: skip
    names = ", ".join(list(view.label_counts)[:10]) + (
        " ..." if len(view.label_counts) > 10 else ""
    )
    if view.label_columns:
        return state.text("dataset_binary_summary", rows=f"{view.rows:,}",
                          labels=len(view.label_counts), names=names, text=text)  # fmt: skip
    return state.text(
        "dataset_summary", rows=f"{view.rows:,}", labels=len(view.label_counts), names=names,
        text=text, label=view.label_column or "?",
    )  # fmt: skip


def task_title(name: str, lang: str) -> str:
    """A task's title for a person (``pair``: "Text pairs"), in ``lang``."""
    return text(f"task_{name}", lang)


def task_choices(lang: str) -> list[tuple[str, str]]:
    """The task picker's choices: each task (and auto) by its title, its name the value."""
    return [(task_title(name, lang), name) for name in TASK_CHOICES]


def add_upload(state: AppState, file: str | None) -> Any:
    """Keep an uploaded dataset and select it in the picker."""
    if not file:
        return gr.skip()
    path = save_upload(state, file)
    return gr.update(choices=dataset_choices(state), value=path)


def switch_method(method: str) -> list[Any]:
    """Show only the chosen method's settings."""
    return [gr.update(visible=name == method) for name in METHODS]


def tagged_line(state: AppState, view: Preview) -> str:
    """The summary of tagged words: sentences, tags and entities per entity type."""
    shown = view.tags[:12] + (["..."] if len(view.tags) > 12 else [])
    types = ", ".join(f"{name} ({count:,})" for name, count in view.label_counts.items())
    return state.text(
        "dataset_tagged_summary", sentences=f"{view.rows:,}", tags=len(view.tags),
        names=", ".join(shown), types=types or "-",
    )  # fmt: skip
