"""The app's page: its tabs on one shared state, one page clock, and the HTTP API
(``create_app``).

:data:`TABS` is the page's one list of tabs, in the order they show. Each is a
:class:`~app.tabs.contract.Tab`: the page lays each out in its own ``gr.Tab``, connects the
signals tabs emit to the tabs that receive them, and starts the page clock
(:mod:`app.tabs.clock`) that refreshes the tab shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from app.i18n import t
from app.server.api import register_api
from app.server.limits import Limits
from app.shared.errors import friendly
from app.shared.run_queue import serve_queue
from app.shared.state import AppState, create_state
from app.tabs.clock import PRIVATE, start_clock
from app.tabs.compare.tab import CompareTab
from app.tabs.contract import Receiver, Signal, Tab
from app.tabs.fewshot.tab import FewShotTab
from app.tabs.monitor.tab import MonitorTab
from app.tabs.sweep.tab import SweepTab
from app.tabs.train.tab import TrainTab
from app.tabs.tryit.tab import TryItTab

__all__ = ["CSS", "TABS", "create_app"]

CSS = """
#train-estimate, #train-status { min-height: 1.5em; }
.method-summary { padding: 6px 10px; }
"""
TABS: tuple[Callable[[], Tab], ...] = (TrainTab, MonitorTab, SweepTab, TryItTab, CompareTab,
                                       FewShotTab)  # fmt: skip
"""The page's tabs, in the order they show (each makes a fresh tab for one page)."""


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
    tabs = [make() for make in TABS]
    with gr.Blocks(title="PTune Studio", analytics_enabled=False) as demo:
        gr.Markdown("## PTune Studio")
        gr.Markdown(t("app_intro"))
        with gr.Tabs(elem_id="tabs") as container:
            items = {}
            for tab in tabs:
                with gr.Tab(t(tab.title), id=tab.id, elem_id=f"tab-{tab.id}") as item:
                    tab.build(state, demo)
                items[tab.id] = item
        link_tabs(tabs, container, state.lang)
        start_clock(tabs, items, state.lang)
        register_api(state)
    serve_queue(state)  # runs left waiting by an earlier app start now, in order
    demo.ptune_state = state  # type: ignore[attr-defined]
    demo.queue(default_concurrency_limit=4)
    return demo


def link_tabs(tabs: Sequence[Tab], container: Any, lang: str = "en") -> None:
    """Each signal a tab emits reaches every tab that receives it: its receiver draws, then the
    page shows that tab when the receiver ``opens`` it (the page clock then refreshes it)."""
    for tab in tabs:
        for name, signal in tab.emits.items():
            for other in tabs:
                if name in other.receives:
                    _link(signal, other.receives[name], other.id, container, lang)


def _link(signal: Signal, receiver: Receiver, tab_id: str, container: Any, lang: str) -> None:
    followed = signal.event.success(
        friendly(lang)(receiver.handler), signal.carries, receiver.outputs, **PRIVATE
    )
    if receiver.opens:

        def show_tab() -> Any:
            return gr.Tabs(selected=tab_id)

        followed.then(show_tab, None, container, **PRIVATE)
