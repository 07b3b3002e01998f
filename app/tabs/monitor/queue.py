"""The Monitor tab's Resume button and its queue of waiting runs (Cancel, Move up).

Resume acts on the runs picked in the Monitor's "Show runs": the first one that is stopped,
interrupted or failed continues from its checkpoint as the same run (at once, or queued while
the device is busy), and the Monitor then follows it. The button shows only when a picked run
can resume. A timer redraws the queue table when the queue or the picked runs' statuses change,
and skips (``gr.skip()``) otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from app import run_queue
from app.errors import friendly
from app.i18n import t
from app.state import AppState
from core.errors import InputError
from core.training.recording import RESUMABLE
from storage.errors import RunNotFoundError

POLL_SECONDS = 2.0
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


# ----------------------------------------------------------------------------- layout
@dataclass
class QueueView:
    resume: Any = None
    status: Any = None
    table: Any = None
    pick: Any = None
    move_up: Any = None
    cancel: Any = None
    seen: Any = None
    resumed: Any = None
    timer: Any = None


def build_queue_view() -> QueueView:
    """Lay out the Resume button and the queue (call inside the Monitor tab)."""
    v = QueueView(seen=gr.State(None), resumed=gr.State(None), timer=gr.Timer(POLL_SECONDS))
    with gr.Row():
        v.resume = gr.Button(t("monitor_resume"), visible=False, elem_id="monitor-resume", scale=1)
        v.status = gr.Markdown(elem_id="monitor-queue-status")
    with gr.Accordion(t("monitor_queue"), open=True, elem_id="monitor-queue-section"):
        v.table = gr.Dataframe(
            label=t("monitor_queue_table"), interactive=False, elem_id="monitor-queue",
        )  # fmt: skip
        with gr.Row():
            v.pick = gr.Dropdown(label=t("monitor_queue_run"), elem_id="monitor-queue-run", scale=3)
            v.move_up = gr.Button(t("monitor_move_up"), elem_id="monitor-move-up", scale=1)
            v.cancel = gr.Button(t("monitor_cancel"), variant="stop", elem_id="monitor-cancel",
                                 scale=1)  # fmt: skip
    return v


def wire_queue_view(
    state: AppState, demo: gr.Blocks, v: QueueView, select: Any, on_started: Any, outputs: Any
) -> None:
    """Wire the view to the Monitor's run picker ``select``; after a resume the Monitor shows
    the resumed run with ``on_started(run_id)`` (and follows the active run from then on)."""
    guard = friendly(state.lang)
    private = {"api_visibility": "private", "show_progress": "hidden"}
    drawn = [getattr(v, name) for name in OUTPUTS]
    inputs = [v.seen, select, v.pick]

    @guard
    def on_tick(seen: Any, picked: list[int] | None, chosen: int | None) -> tuple:
        return queue_update(state, seen, picked, chosen)

    @guard
    def on_redraw(picked: list[int] | None, chosen: int | None) -> tuple:
        return queue_update(state, None, picked, chosen)

    @guard
    def on_resume(picked: list[int] | None) -> tuple[str, int | None]:
        run_id = resumable(state, picked)
        return resume_picked(state, picked), run_id

    @guard
    def on_resumed(run_id: int | None) -> tuple:
        return on_started(run_id)

    @guard
    def on_cancel(run_id: int | None) -> str:
        return act_on_waiting(state, run_id, "cancel")

    @guard
    def on_move_up(run_id: int | None) -> str:
        return act_on_waiting(state, run_id, "move_up")

    demo.load(on_redraw, [select, v.pick], drawn, **private)
    v.timer.tick(on_tick, inputs, drawn, **private)
    select.change(on_tick, inputs, drawn, **private)
    v.resume.click(on_resume, select, [v.status, v.resumed], **private).success(
        on_resumed, v.resumed, outputs, **private
    ).then(on_redraw, [select, v.pick], drawn, **private)
    for button, handler in ((v.cancel, on_cancel), (v.move_up, on_move_up)):
        button.click(handler, v.pick, v.status, **private).then(
            on_redraw, [select, v.pick], drawn, **private
        )
