"""Run pickers that keep up: a tab redraws its run lists when a run ends, starts, is added or is
deleted, here or in another process (a command-line run on the same database).

Each page keeps, per tab, the store's version (:meth:`storage.store.Store.runs_version`: a
count, the highest id, the latest start and end, counts by status) it last drew; the tab's
refresh (called by the page clock while the tab is shown, :mod:`app.tabs.clock`) compares it with
the store's and returns ``gr.skip()`` for every output while nothing changed, so an open
dropdown and the person's choice are left alone. When it changed, the tab's own list handler
redraws its lists, keeping the choices that still exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gradio as gr

from app.shared.state import AppState


def refresh_if_changed(
    state: AppState, seen: Any, refresh: Callable[..., tuple], values: Sequence[Any]
) -> tuple:
    """(version, *refresh(*values)) when the store changed since ``seen``; otherwise a
    ``gr.skip()`` for the version and for each of ``values``' outputs."""
    version = list(state.store.runs_version())
    if version == seen:
        return tuple(gr.skip() for _ in range(len(values) + 1))
    return (version, *refresh(*values))
