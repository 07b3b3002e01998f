"""One clock per page: a single ``gr.Timer`` that refreshes the tab the person sees, and no other.

The page keeps the shown tab's id in a per-page ``gr.State``. A ``gr.Tab``'s select event fires
whenever its tab becomes the shown one: a click on it, the page switching to it (Start opens the
Monitor) and, for the first tab, the page loading. Its handler records the tab, sets the timer
to the tab's pace (and stops it for a tab with nothing to redraw) and refreshes the tab at once.
Each tick then calls only the shown tab's ``refresh`` (:class:`app.tabs.contract.Tab`); every
output of the hidden tabs is ``gr.skip()``, so they cost nothing until they are shown again.

A refresh that updates a per-page ``gr.State`` in place (a view of the runs shown) is not
written back: Gradio hands the handler the stored object itself, so the change is already kept,
and writing it back could undo a newer view another event stored meanwhile (a tick begun
before Resume showed the resumed run would otherwise put the old view back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import gradio as gr

from app.shared.errors import friendly
from app.tabs.contract import Tab

IDLE_SECONDS = 2.0
"""The timer's pace while stopped (it needs one); no tick fires while it is stopped."""
PRIVATE: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}


def unique(components: Iterable[Any]) -> list[Any]:
    """Each component once, in the order first seen."""
    seen: dict[int, Any] = {}
    for component in components:
        seen.setdefault(id(component), component)
    return list(seen.values())


def refreshed(tab: Tab, values: Sequence[Any]) -> tuple:
    """The tab's refresh from ``values`` (those of its inputs), with ``gr.skip()`` for each
    ``gr.State`` it changed in place (already kept; see the module's docstring)."""
    fresh = tab.refresh(*values)
    given = {id(c): value for c, value in zip(tab.refresh_inputs, values, strict=True)}
    return tuple(
        gr.skip()
        if isinstance(c, gr.State) and value is not None and value is given.get(id(c))
        else value
        for c, value in zip(tab.refresh_outputs, fresh, strict=True)
    )


def tick_values(
    tab: Tab | None, inputs: Sequence[Any], outputs: Sequence[Any], values: Sequence[Any]
) -> tuple:
    """One value per ``outputs``: the shown ``tab``'s refresh of its own outputs, taken from
    ``values`` (those of ``inputs``), and ``gr.skip()`` for every other output."""
    if tab is None or not tab.refresh_outputs:
        return tuple(gr.skip() for _ in outputs)
    position = {id(c): i for i, c in enumerate(inputs)}
    fresh = refreshed(tab, [values[position[id(c)]] for c in tab.refresh_inputs])
    drawn = {id(c): value for c, value in zip(tab.refresh_outputs, fresh, strict=True)}
    return tuple(drawn.get(id(c), gr.skip()) for c in outputs)


def pace(tab: Tab) -> Any:
    """The timer as ``tab`` needs it: ticking at its pace, or stopped."""
    if tab.poll_seconds is None:
        return gr.Timer(active=False)
    return gr.Timer(value=tab.poll_seconds, active=True)


def open_values(tab: Tab, values: Sequence[Any]) -> tuple:
    """What opening ``tab`` draws: its id (the shown tab), the timer's pace, its refresh."""
    return (tab.id, pace(tab), *(refreshed(tab, values) if tab.refresh_outputs else ()))


def start_clock(tabs: Sequence[Tab], items: Mapping[str, Any], lang: str = "en") -> Any:
    """Add the page's one timer and the shown tab's state, and wire each tab's ``gr.Tab``
    (``items[tab.id]``) to record itself when shown (call inside the Blocks); the timer."""
    guard = friendly(lang)
    first = tabs[0]
    shown = gr.State(first.id)
    timer = gr.Timer(first.poll_seconds or IDLE_SECONDS, active=first.poll_seconds is not None)
    inputs = unique(c for tab in tabs for c in tab.refresh_inputs)
    outputs = unique(c for tab in tabs for c in tab.refresh_outputs)
    by_id = {tab.id: tab for tab in tabs}

    @guard
    def on_tick(shown_id: str, *values: Any) -> tuple:
        return tick_values(by_id.get(shown_id), inputs, outputs, values)

    timer.tick(on_tick, [shown, *inputs], outputs, **PRIVATE)
    for tab in tabs:
        opened = [shown, timer, *tab.refresh_outputs]
        items[tab.id].select(guard(_opener(tab)), tab.refresh_inputs, opened, **PRIVATE)
    return timer


def _opener(tab: Tab) -> Callable[..., tuple]:
    def on_open(*values: Any) -> tuple:
        return open_values(tab, values)

    on_open.__name__ = f"on_open_{tab.id}"
    return on_open
