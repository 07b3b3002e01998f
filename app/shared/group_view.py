"""One view of a group of runs, shared by the Sweep and the Few-shot tabs.

Both tabs start a group of runs (:mod:`core.sweep`, :mod:`core.fewshot`) and then show one group:
a status line, tables and a figure drawn from the store, and a picker of past groups. A new page
follows the group running in this process, else shows the latest; each refresh redraws only what
changed (``gr.skip()`` for the rest, so a zoom survives) and follows a group that starts. What
differs between the tabs is a :class:`GroupKind`: how to read a group's results, what its status
line says, its tables and figure, and any controls after the picker (Few-shot's Resume).

The view is a per-page dict: the shown group's id (under ``kind.key``), the signature of the
runs drawn, the status line drawn, and whether it follows the running group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from app.shared.actions import running_group_id
from app.shared.errors import friendly
from app.shared.state import AppState
from storage.errors import SweepNotFoundError

Outcome = dict[str, Any]
PICKER_LIMIT = 100
PRIVATE: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}


def _no_controls(state: AppState, outcome: Outcome | None) -> tuple:
    return ()


@dataclass(frozen=True)
class GroupKind:
    """What one tab's groups are: ``kind`` as the store records it, ``key`` of the shown id in
    the view, ``results(state, id)`` (SweepNotFoundError once deleted), ``status`` line,
    ``body`` (tables and figure, one value per ``body_names``) and ``controls`` (one value per
    ``control_names``, after the picker)."""

    kind: str
    key: str
    results: Callable[[AppState, int], Outcome]
    status: Callable[[AppState, Outcome | None], str]
    body: Callable[[AppState, Outcome | None], tuple]
    body_names: tuple[str, ...]
    controls: Callable[[AppState, Outcome | None], tuple] = _no_controls
    control_names: tuple[str, ...] = ()

    @property
    def outputs(self) -> tuple[str, ...]:
        """The names of the view's outputs, in order."""
        return ("status", *self.body_names, "past", *self.control_names, "view")

    def new_view(self, group_id: int | None = None, follow: bool = True) -> dict[str, Any]:
        return {self.key: group_id, "sig": None, "status": None, "follow": follow}

    def choices(self, state: AppState) -> list[tuple[str, int]]:
        """The kind's groups for the picker, newest first."""
        return [
            (f"#{s['id']} {s['name']} · {state.translate(s['status'])}", s["id"])
            for s in state.store.list_sweeps(limit=PICKER_LIMIT, kind=self.kind)
        ]

    def show(self, state: AppState, view: dict[str, Any] | None, group_id: Any) -> tuple:
        """Every output for one group (the empty view when ``group_id`` is None)."""
        view = self.new_view() if view is None else view
        shown = None if group_id in (None, "") else int(group_id)
        view[self.key] = shown
        outcome = None if shown is None else self.results(state, shown)
        view["sig"], view["status"] = _signature(shown, outcome), self.status(state, outcome)
        return (
            view["status"],
            *self.body(state, outcome),
            gr.update(choices=self.choices(state), value=shown),
            *self.controls(state, outcome),
            view,
        )

    def attach(self, state: AppState) -> tuple:
        """A new page: follow the group running here, else show the latest recorded one."""
        running = running_group_id(self.kind)
        latest = state.store.list_sweeps(limit=1, kind=self.kind)
        group_id = running if running is not None else (latest[0]["id"] if latest else None)
        return self.show(state, self.new_view(), group_id)

    def poll(self, state: AppState, view: dict[str, Any] | None) -> tuple:
        """One refresh: redraw what changed; ``gr.skip()`` for every output left as it was."""
        if view is None:
            return self.attach(state)
        skip = tuple(gr.skip() for _ in self.outputs)
        running = running_group_id(self.kind)
        if view["follow"] and running is not None and view[self.key] != running:
            return self.show(state, view, running)
        if view[self.key] is None:
            return skip
        try:
            outcome = self.results(state, view[self.key])
        except SweepNotFoundError:  # deleted meanwhile (e.g. from the command line)
            return self.attach(state)
        if _signature(view[self.key], outcome) != view["sig"]:
            return self.show(state, view, view[self.key])
        line = self.status(state, outcome)
        if line == view["status"]:
            return skip
        view["status"] = line
        return (line, *skip[1:-1], view)


def _signature(group_id: int | None, outcome: Outcome | None) -> Any:
    if outcome is None:
        return None
    return group_id, outcome["status"], [(r["run_id"], r["status"]) for r in outcome["runs"]]


@dataclass(frozen=True)
class GroupWiring:
    """A group tab's components for :func:`wire_group`: ``parts`` has one attribute per name of
    the kind's outputs, and ``start``, ``stop`` buttons; ``form`` names the form's inputs, in the
    order ``start(state, values)`` reads them."""

    kind: GroupKind
    parts: Any
    form: Sequence[str]
    start: Callable[[AppState, dict[str, Any]], tuple[str, int]]
    stop: Callable[[AppState], str]


def outputs_of(wiring: GroupWiring) -> list[Any]:
    return [getattr(wiring.parts, name) for name in wiring.kind.outputs]


def wire_group(state: AppState, wiring: GroupWiring) -> None:
    """Start, Stop and the picker of past groups (call inside the Blocks)."""
    guard, kind, parts = friendly(state.lang), wiring.kind, wiring.parts
    outputs, form = outputs_of(wiring), [getattr(parts, name) for name in wiring.form]

    @guard
    def on_start(view: dict[str, Any] | None, *values: Any) -> tuple:
        message, group_id = wiring.start(state, dict(zip(wiring.form, values, strict=True)))
        result = kind.show(state, kind.new_view(follow=True), group_id)
        gr.Info(message)
        return result

    @guard
    def on_stop() -> str:
        return wiring.stop(state)

    @guard
    def on_pick(view: dict[str, Any] | None, group_id: Any) -> tuple:
        return kind.show(state, kind.new_view(follow=False), group_id)

    parts.start.click(on_start, [parts.view, *form], outputs, **PRIVATE)
    parts.stop.click(on_stop, None, parts.status, **PRIVATE)
    parts.past.input(on_pick, [parts.view, parts.past], outputs, **PRIVATE)
