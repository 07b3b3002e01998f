"""What Monitor's "Where it goes wrong" shows, as Gradio outputs: a run diagnosed (summary,
heatmap, per-label table, label filters, mistakes, CSV), a mistake's words, and the run pickers.

The first picker starts on the run the Monitor shows when it is finished and can predict, else on
the newest such run, so the section opens ready to show.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from app.shared.actions import pair_runs, run_choices
from app.shared.explain import show_why
from app.shared.state import AppState
from app.tabs.monitor.diagnose import class_table, error_rows, predictions, summary_text
from app.tabs.monitor.diagnose_plots import confusion_figure
from app.tabs.monitor.diagnose_tagged import diagnose_tagged, is_tagging_run
from core.analysis import mistakes as engine


def diagnose(state: AppState, run_id: Any, normalised: bool) -> tuple:
    """Summary, heatmap, per-label table, both filters (reset to "any"), mistakes, CSV, note,
    an emptied "Why?" and the run shown (which the filters and the toggle then follow); a
    tagger's entity scores and mistakes instead (:mod:`app.tabs.monitor.diagnose_tagged`)."""
    if is_tagging_run(state, run_id):
        return diagnose_tagged(state, run_id)
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
    """The "Why?" colouring of the clicked mistake's text under the run; a pair's two texts,
    read from the run's validation rows (the table shows them joined in one cell)."""
    row = event.row_value or []
    if run_id in (None, "") or len(row) < 2 or not row[1]:
        return ""
    if not pair_runs(state, [int(run_id)]):
        return show_why(state, str(row[1]), [int(run_id)])
    both: Any = predictions(state, run_id).texts[int(row[0]) - 1]  # (text, text_pair)
    return show_why(state, both[0], [int(run_id)], both[1])


def run_pickers(
    state: AppState, run_id: Any, other_id: Any, preselect: bool = False, shown: Any = None
) -> tuple:
    """Both run pickers with the finished runs, keeping the picked runs that still exist.

    With ``preselect``, a first picker left without a run starts on ``shown`` (the run the
    Monitor shows) when it is finished and can predict, else on the newest run that can.
    """
    choices = run_choices(state)
    ids = [value for _, value in choices]
    first = run_id if run_id in ids else None
    if first is None and preselect:
        first = shown if shown in ids else next(iter(ids), None)
    # the second run is optional, so its picker can be set back to none
    others = [(state.text("diag_no_second"), ""), *choices]
    return (
        gr.update(choices=choices, value=first),
        gr.update(choices=others, value=other_id if other_id in ids else ""),
    )
