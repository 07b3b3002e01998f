"""What every tab of the page is to the page: the :class:`Tab` protocol.

A tab has an ``id`` (its ``gr.Tab`` id; its element id is ``tab-<id>``), a ``title`` (the
translation key of its label), ``build`` (lay out and wire its components inside its
``gr.Tab``) and ``refresh``: what the page clock (:mod:`app.tabs.clock`) redraws while the tab
is shown. ``refresh(*values)`` receives the current values of the tab's ``refresh_inputs`` and
returns one value per ``refresh_outputs``, ``gr.skip()`` for each that did not change (so a
Plotly zoom or an open dropdown survives). A tab with nothing to redraw has no outputs, and the
clock stops while it is shown.

Tabs never reach into each other. A tab that lets others follow what happened on it *emits* a
named :class:`Signal` (Train emits :data:`RUN_STARTED` when Start succeeds); a tab that follows
it *receives* the name with a :class:`Receiver` (the Monitor shows the run). The page
(:mod:`app.studio`) connects each emitted signal to the tabs that receive it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import gradio as gr

    from app.shared.state import AppState

RUN_STARTED = "run_started"
"""A run was started (or queued) from the page; it carries nothing."""


@dataclass(frozen=True)
class Signal:
    """Something that happened on a tab: the Gradio event to chain on (it must have succeeded)
    and the components whose values the receivers get."""

    event: Any
    carries: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Receiver:
    """How a tab follows a signal: ``handler(*carried)`` gives one value per ``outputs``;
    with ``opens`` the page then shows this tab."""

    handler: Callable[..., tuple]
    outputs: list[Any]
    opens: bool = True


class Tab(Protocol):
    """One tab of the page (see the module's docstring)."""

    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def poll_seconds(self) -> float | None:
        """How often the page clock refreshes the tab while it is shown; None: never."""

    @property
    def refresh_inputs(self) -> list[Any]: ...

    @property
    def refresh_outputs(self) -> list[Any]: ...

    @property
    def emits(self) -> dict[str, Signal]: ...

    @property
    def receives(self) -> dict[str, Receiver]: ...

    def build(self, state: AppState, demo: gr.Blocks) -> None:
        """Lay out the tab's components and wire their events (inside its ``gr.Tab``)."""

    def refresh(self, *values: Any) -> tuple:
        """One value per ``refresh_outputs`` from the values of ``refresh_inputs``."""


class TabParts:
    """What a tab has before it is built, or when it has no use for a part: no refresh, no
    signals (a base for the tabs' classes)."""

    poll_seconds: float | None = None

    def __init__(self) -> None:
        self.refresh_inputs: list[Any] = []
        self.refresh_outputs: list[Any] = []
        self.emits: dict[str, Signal] = {}
        self.receives: dict[str, Receiver] = {}

    def refresh(self, *values: Any) -> tuple:
        return ()
