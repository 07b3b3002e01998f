"""Monitor tab: live curves of the running job, the run table and run comparison, the queue of
waiting runs with Resume, and "Where it goes wrong".

While the tab is shown the page clock refreshes it: the runs shown (:mod:`app.tabs.monitor.view`),
the queue (:mod:`app.tabs.monitor.queue`) and the diagnosis's run pickers when the runs changed
(:mod:`app.tabs.monitor.diagnose_view`), each ``gr.skip()`` when nothing is new. A run started on
the Train tab (:data:`~app.tabs.contract.RUN_STARTED`) opens the tab on the running job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from app.i18n import t
from app.shared.actions import stop_training
from app.shared.errors import friendly
from app.shared.run_lists import refresh_if_changed
from app.shared.state import AppState
from app.tabs.contract import RUN_STARTED, Receiver, TabParts
from app.tabs.monitor import queue
from app.tabs.monitor.diagnose import (
    confusion_plot,
    disagreement_columns,
    disagreement_rows,
    empty_tables,
    error_rows,
)
from app.tabs.monitor.diagnose_view import diagnose, run_pickers, why_mistake
from app.tabs.monitor.runs import new_view, shown_run_id, toggle
from app.tabs.monitor.view import OUTPUTS, attach, poll, show_runs

POLL_SECONDS = 1.5
PRIVATE: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}


@dataclass
class QueueSection:
    """The Resume button and the queue of waiting runs."""

    resume: Any
    status: Any
    table: Any
    pick: Any
    move_up: Any
    cancel: Any
    seen: Any
    resumed: Any


class MonitorTab(TabParts):
    """The Monitor tab: its components once built, and its part of the page's contract."""

    id = "monitor"
    title = "tab_monitor"
    poll_seconds = POLL_SECONDS
    state: AppState
    view: Any
    status: Any
    progress: Any
    plot: Any
    select: Any
    refresh_button: Any
    stop: Any
    queue: QueueSection
    table: Any
    diff: Any
    diagnose: dict[str, Any]
    outputs: list[Any]

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        self.state = state
        _layout(state, self)
        self.outputs = [getattr(self, name) for name in OUTPUTS]
        _wire_runs(state, self)
        _wire_queue(state, self)
        _wire_diagnose(state, self)
        q, d = self.queue, self.diagnose
        self.refresh_inputs = [self.view, q.seen, self.select, q.pick, d["seen"], d["run"],
                               d["other"]]  # fmt: skip
        self.refresh_outputs = [*self.outputs, *(getattr(q, n) for n in queue.OUTPUTS),
                                d["seen"], d["run"], d["other"]]  # fmt: skip
        self.receives = {RUN_STARTED: Receiver(self.on_started, self.outputs)}

    def refresh(self, *values: Any) -> tuple:
        view, queue_seen, picked, chosen, runs_seen, run_id, other_id = values
        shown = poll(self.state, view)
        view = shown[-1] if "runs" in shown[-1] else view  # the view drawn, unless skipped

        def pickers(first: Any, second: Any) -> tuple:
            return run_pickers(self.state, first, second, True, shown_run_id(self.state, view))

        return (
            *shown,
            *queue.queue_update(self.state, queue_seen, picked, chosen),
            *refresh_if_changed(self.state, runs_seen, pickers, (run_id, other_id)),
        )

    def on_started(self, run_id: int | None = None) -> tuple:
        """After a start or a resume: show that run (followed from then on), else the active."""
        if run_id is None:
            return attach(self.state)
        return show_runs(self.state, new_view(), [run_id])


def build_monitor_tab(state: AppState, demo: gr.Blocks) -> MonitorTab:
    """Lay out the Monitor tab and wire it; returns its :class:`MonitorTab`."""
    tab = MonitorTab()
    tab.build(state, demo)
    return tab


# ----------------------------------------------------------------------------- layout
def _layout(state: AppState, c: MonitorTab) -> None:
    c.view = gr.State(None)
    c.status = gr.Markdown(elem_id="monitor-status")
    c.progress = gr.HTML(elem_id="monitor-progress")
    c.plot = gr.Plot(label=t("monitor_plot"), elem_id="monitor-plot")
    with gr.Row():
        c.select = gr.Dropdown(
            multiselect=True, label=t("monitor_select"), info=t("monitor_select_info"),
            elem_id="monitor-select", scale=4,
        )  # fmt: skip
        c.refresh_button = gr.Button(t("monitor_refresh"), elem_id="monitor-refresh", scale=1)
        c.stop = gr.Button(t("monitor_stop"), variant="stop", elem_id="monitor-stop", scale=1)
    c.queue = _queue_layout()
    c.table = gr.Dataframe(label=t("monitor_runs"), interactive=False, wrap=True,
                           elem_id="monitor-runs", max_height=320)  # fmt: skip
    c.diff = gr.Dataframe(label=t("monitor_diff"), interactive=False, elem_id="monitor-diff")
    c.diagnose = _diagnose_layout(state)


def _queue_layout() -> QueueSection:
    seen, resumed = gr.State(None), gr.State(None)
    with gr.Row():
        resume = gr.Button(t("monitor_resume"), visible=False, elem_id="monitor-resume", scale=1)
        status = gr.Markdown(elem_id="monitor-queue-status")
    with gr.Accordion(t("monitor_queue"), open=True, elem_id="monitor-queue-section"):
        table = gr.Dataframe(
            label=t("monitor_queue_table"), interactive=False, elem_id="monitor-queue",
        )  # fmt: skip
        with gr.Row():
            pick = gr.Dropdown(label=t("monitor_queue_run"), elem_id="monitor-queue-run", scale=3)
            move_up = gr.Button(t("monitor_move_up"), elem_id="monitor-move-up", scale=1)
            cancel = gr.Button(t("monitor_cancel"), variant="stop", elem_id="monitor-cancel",
                               scale=1)  # fmt: skip
    return QueueSection(resume, status, table, pick, move_up, cancel, seen, resumed)


def _diagnose_layout(state: AppState) -> dict[str, Any]:
    """The "Where it goes wrong" accordion; its components by name."""
    c: dict[str, Any] = {"seen": gr.State(None), "shown": gr.State(None)}
    classes, errors, disagree = empty_tables(state)  # their headers before a run is shown
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
        c["summary"] = gr.Markdown(elem_id="monitor-diagnose-summary")
        c["normalised"] = gr.Checkbox(label=t("diag_normalised"),
                                      elem_id="monitor-confusion-normalised")  # fmt: skip
        c["plot"] = gr.Plot(elem_id="monitor-confusion", show_label=False)
        c["classes"] = gr.Dataframe(classes, label=t("diag_classes"), interactive=False,
                                    elem_id="monitor-per-class")  # fmt: skip
        with gr.Row():
            c["true"] = gr.Dropdown(label=t("diag_true_filter"), elem_id="monitor-errors-true")
            c["predicted"] = gr.Dropdown(label=t("diag_predicted_filter"),
                                         elem_id="monitor-errors-predicted")  # fmt: skip
        c["note"] = gr.Markdown(elem_id="monitor-errors-note")
        c["errors"] = gr.Dataframe(errors, label=t("diag_errors"), interactive=False, wrap=True,
                                   max_height=400, elem_id="monitor-errors")  # fmt: skip
        c["why"] = gr.HTML(elem_id="monitor-errors-why")
        c["csv"] = gr.File(label=t("diag_csv"), elem_id="monitor-errors-csv")
        c["disagree_note"] = gr.Markdown(elem_id="monitor-disagree-note")
        c["disagree"] = gr.Dataframe(
            disagree, label=t("diag_disagree"), interactive=False, wrap=True, max_height=400,
            elem_id="monitor-disagree",
        )  # fmt: skip
    return c


# ----------------------------------------------------------------------------- wiring
def _wire_runs(state: AppState, c: MonitorTab) -> None:
    guard = friendly(state.lang)

    @guard
    def on_select(view: dict[str, Any] | None, run_ids: list[int]) -> tuple:
        result = show_runs(state, view, run_ids)
        result[-1]["follow"] = False
        return result

    @guard
    def on_pick(view: dict[str, Any] | None, event: gr.SelectData) -> tuple:
        if not event.row_value or event.row_value[0] in ("", None):  # the empty placeholder
            return tuple(gr.skip() for _ in OUTPUTS)
        result = show_runs(state, view, toggle(view, event.row_value[0]))
        result[-1]["follow"] = False
        return result

    @guard
    def on_refresh(view: dict[str, Any] | None) -> tuple:
        return show_runs(state, view, (view or {}).get("runs") or [])

    @guard
    def on_stop() -> str:
        return stop_training(state)

    c.select.input(on_select, [c.view, c.select], c.outputs, **PRIVATE)
    c.table.select(on_pick, c.view, c.outputs, **PRIVATE)
    c.refresh_button.click(on_refresh, c.view, c.outputs, **PRIVATE)
    c.stop.click(on_stop, None, c.status, **PRIVATE)


def _wire_queue(state: AppState, c: MonitorTab) -> None:
    """The queue follows the Monitor's run picker; after a resume the Monitor shows the resumed
    run (and follows the active run from then on)."""
    guard, v = friendly(state.lang), c.queue
    drawn = [getattr(v, name) for name in queue.OUTPUTS]
    redraw = [c.select, v.pick]

    @guard
    def on_picked(seen: Any, picked: list[int] | None, chosen: int | None) -> tuple:
        return queue.queue_update(state, seen, picked, chosen)

    @guard
    def on_redraw(picked: list[int] | None, chosen: int | None) -> tuple:
        return queue.queue_update(state, None, picked, chosen)

    @guard
    def on_resume(picked: list[int] | None) -> tuple[str, int | None]:
        run_id = queue.resumable(state, picked)
        return queue.resume_picked(state, picked), run_id

    @guard
    def on_cancel(run_id: int | None) -> str:
        return queue.act_on_waiting(state, run_id, "cancel")

    @guard
    def on_move_up(run_id: int | None) -> str:
        return queue.act_on_waiting(state, run_id, "move_up")

    c.select.change(on_picked, [v.seen, c.select, v.pick], drawn, **PRIVATE)
    v.resume.click(on_resume, c.select, [v.status, v.resumed], **PRIVATE).success(
        guard(c.on_started), v.resumed, c.outputs, **PRIVATE
    ).then(on_redraw, redraw, drawn, **PRIVATE)
    for button, handler in ((v.cancel, on_cancel), (v.move_up, on_move_up)):
        button.click(handler, v.pick, v.status, **PRIVATE).then(on_redraw, redraw, drawn, **PRIVATE)


def _wire_diagnose(state: AppState, c: MonitorTab) -> None:
    guard, d = friendly(state.lang), c.diagnose
    private = {"api_visibility": "private"}

    @guard
    def on_choices(run_id: Any, other_id: Any, view: dict[str, Any] | None) -> tuple:
        return run_pickers(state, run_id, other_id, True, shown_run_id(state, view))

    @guard
    def on_show(run_id: Any, normalised: bool) -> tuple:
        return diagnose(state, run_id, bool(normalised))

    @guard
    def on_disagree(run_id: Any, other_id: Any) -> tuple:
        if run_id in (None, ""):
            return pd.DataFrame(columns=disagreement_columns(state)), ""
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

    pickers = [d["run"], d["other"]]
    shown = [d["summary"], d["plot"], d["classes"], d["true"], d["predicted"], d["errors"],
             d["csv"], d["note"], d["why"], d["shown"]]  # fmt: skip
    d["refresh"].click(on_choices, [*pickers, c.view], pickers, **private)
    # the second run's table only once the first run was shown; the toggle, the filters and a
    # clicked mistake follow the run shown, not a new pick not shown yet
    d["show"].click(on_show, [d["run"], d["normalised"]], shown, **private).success(
        on_disagree, pickers, [d["disagree"], d["disagree_note"]], **private
    )
    d["normalised"].input(on_mode, [d["shown"], d["normalised"]], d["plot"], **private)
    filters = [d["shown"], d["true"], d["predicted"]]
    for picker in (d["true"], d["predicted"]):
        picker.input(on_filter, filters, [d["errors"], d["csv"], d["note"]], **private)
    d["errors"].select(on_pick, d["shown"], d["why"], **private)
