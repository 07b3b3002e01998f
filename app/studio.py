"""The app's page: its tabs on one shared state, and the HTTP API (``create_app``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from app.api import register_api
from app.compare_tab import build_compare_tab
from app.fewshot_tab import build_fewshot_tab
from app.i18n import t
from app.limits import Limits
from app.monitor_tab import MonitorTab, build_monitor_tab
from app.run_queue import serve_queue
from app.state import AppState, create_state
from app.sweep_tab import build_sweep_tab
from app.train_tab import TrainTab, build_train_tab
from app.tryit_tab import TryItTab, build_tryit_tab

__all__ = ["CSS", "create_app"]

CSS = """
#train-estimate, #train-status { min-height: 1.5em; }
.method-summary { padding: 6px 10px; }
"""


def create_app(
    db: str | Path | None = None,
    data_dir: str | Path | None = None,
    lang: str = "en",
    *,
    state: AppState | None = None,
    limits: Limits | None = None,
) -> gr.Blocks:
    """Build the app on the database ``db`` (default path when None) and ``data_dir``.

    ``limits`` caps what one person may send (default :class:`Limits`; with ``state``, they
    replace the state's). The returned Blocks carries its shared state as ``demo.ptune_state``;
    serve it with ``demo.launch(**launch_options(lang, limits=...), ...)``.
    """
    state = state or create_state(db, data_dir, lang)
    if limits is not None:
        state.limits = limits
    with gr.Blocks(title="PTune Studio", analytics_enabled=False) as demo:
        gr.Markdown("## PTune Studio")
        gr.Markdown(t("app_intro"))
        with gr.Tabs(elem_id="tabs") as tabs:
            with gr.Tab(t("tab_train"), id="train", elem_id="tab-train"):
                train = build_train_tab(state, demo)
            with gr.Tab(t("tab_monitor"), id="monitor", elem_id="tab-monitor"):
                monitor = build_monitor_tab(state, demo)
            with gr.Tab(t("tab_sweep"), id="sweep", elem_id="tab-sweep"):
                build_sweep_tab(state, demo)
            with gr.Tab(t("tab_tryit"), id="tryit", elem_id="tab-tryit") as tryit_tab:
                tryit = build_tryit_tab(state, demo)
            with gr.Tab(t("tab_compare"), id="compare", elem_id="tab-compare"):
                build_compare_tab(state, demo)
            with gr.Tab(t("tab_fewshot"), id="fewshot", elem_id="tab-fewshot"):
                build_fewshot_tab(state, demo)
        _link_tabs(train, monitor, tryit, tabs, tryit_tab)
        register_api(state)
    serve_queue(state)  # runs left waiting by an earlier app start now, in order
    demo.ptune_state = state  # type: ignore[attr-defined]
    demo.queue(default_concurrency_limit=4)
    return demo


def _link_tabs(
    train: TrainTab, monitor: MonitorTab, tryit: TryItTab, tabs: Any, tryit_tab: Any
) -> None:
    """A started run opens the Monitor on it; opening Try it refreshes its run lists."""
    private = {"api_visibility": "private", "show_progress": "hidden"}

    def open_monitor() -> Any:
        return gr.Tabs(selected="monitor")

    train.start_event.success(monitor.on_started, None, monitor.outputs, **private).then(
        open_monitor, None, tabs, **private
    )
    tryit_tab.select(tryit.on_refresh, tryit.lists, tryit.lists, **private)
