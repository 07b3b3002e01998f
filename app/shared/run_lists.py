"""Run pickers that keep up: a page redraws its run lists when a run ends, starts, is added or
is deleted, here or in another process (a command-line run on the same database).

Each page keeps the store's version (:meth:`storage.store.Store.runs_version`: a count, the
highest id, the latest start and end, counts by status) it last drew; a ``gr.Timer`` compares it
with the store's every few seconds and returns ``gr.skip()`` for every output while nothing
changed, so an open dropdown and the person's choice are left alone. When it changed, the tab's
own refresh handler redraws its lists, keeping the choices that still exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from app.state import AppState

POLL_SECONDS = 3.0


def refresh_if_changed(
    state: AppState, seen: Any, refresh: Callable[..., tuple], values: Sequence[Any]
) -> tuple:
    """(version, *refresh(*values)) when the store changed since ``seen``; otherwise a
    ``gr.skip()`` for the version and for each of ``values``' outputs."""
    version = list(state.store.runs_version())
    if version == seen:
        return tuple(gr.skip() for _ in range(len(values) + 1))
    return (version, *refresh(*values))


def watch_runs(
    state: AppState, refresh: Callable[..., tuple], lists: Sequence[Any], inputs: Sequence[Any]
) -> Any:
    """Poll the store and redraw ``lists`` with ``refresh(*inputs)`` when the runs changed
    (call inside the tab's Blocks); the timer."""
    seen, timer = gr.State(None), gr.Timer(POLL_SECONDS)

    def on_tick(version: Any, *values: Any) -> tuple:
        return refresh_if_changed(state, version, refresh, values)

    timer.tick(on_tick, [seen, *inputs], [seen, *lists], api_visibility="private",
               show_progress="hidden")  # fmt: skip
    return timer
