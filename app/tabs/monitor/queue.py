"""The Monitor tab's Resume button and its queue of waiting runs (Cancel, Move up): what they do
and what they show.

Resume acts on the runs picked in the Monitor's "Show runs": the first one that is stopped,
interrupted or failed continues from its checkpoint as the same run (at once, or queued while
the device is busy), and the Monitor then follows it. The button shows only when a picked run
can resume. Each refresh redraws the queue table when the queue or the picked runs' statuses
change, and skips (``gr.skip()``) otherwise.
"""

from __future__ import annotations

from typing import Any

import gradio as gr
import pandas as pd

from app.shared import run_queue
from app.shared.state import AppState
from core.errors import InputError
from core.training.recording import RESUMABLE
from storage.errors import RunNotFoundError

OUTPUTS = ("table", "pick", "resume", "seen")


def resumable(state: AppState, run_ids: list[int] | None) -> int | None:
    """The first picked run that can resume (stopped, interrupted or failed), if any."""
    for run_id in run_ids or []:
        try:
            status = state.store.get_run(int(run_id))["status"]
        except RunNotFoundError:  # deleted since it was picked
            continue
        if status in RESUMABLE:
            return int(run_id)
    return None


def resume_picked(state: AppState, run_ids: list[int] | None) -> str:
    """Resume the first picked run that can; what happened (started, or its queue place)."""
    run_id = resumable(state, run_ids)
    if run_id is None:
        raise InputError(state.text("resume_pick"))
    place = run_queue.submit_resume(state, run_id)
    name = state.store.get_run(run_id)["name"]
    if place is None:
        return state.text("resumed", run_id=run_id, name=name)
    return state.text("resume_queued", run_id=run_id, name=name, position=place)


def queue_table(state: AppState, waiting: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per waiting run, in the order they start."""
    keys = ("col_position", "col_id", "col_name", "col_method", "col_start")
    rows = [
        [run["position"], run["id"], run["name"], run["method"],
         state.text("queue_resume" if run["resume"] else "queue_new")]
        for run in waiting
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=[state.text(key) for key in keys])


def queue_update(state: AppState, seen: Any, picked: list[int] | None, chosen: int | None) -> tuple:
    """The queue table, the waiting-run picker (keeping ``chosen`` while it waits), the Resume
    button (shown when a picked run can resume) and what was drawn; every output skipped when
    none of it changed since ``seen``."""
    waiting = run_queue.waiting(state)
    can_resume = resumable(state, picked) is not None
    signature = [[(run["id"], run["position"]) for run in waiting], can_resume]
    if signature == seen:
        return tuple(gr.skip() for _ in OUTPUTS)
    choices = [(f"{run['position']}. #{run['id']} {run['name']}", run["id"]) for run in waiting]
    ids = [run["id"] for run in waiting]
    value = chosen if chosen in ids else (ids[0] if ids else None)
    return (
        queue_table(state, waiting),
        gr.update(choices=choices, value=value),
        gr.update(visible=can_resume),
        signature,
    )


def act_on_waiting(state: AppState, run_id: int | None, action: str) -> str:
    """Cancel or move up (``action``) the waiting run picked; what happened."""
    if run_id is None:
        raise InputError(state.text("pick_waiting"))
    act = run_queue.cancel if action == "cancel" else run_queue.move_up
    return act(state, int(run_id))
