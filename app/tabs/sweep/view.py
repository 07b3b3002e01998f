"""What the Sweep tab shows of one sweep, through the shared group view
(:mod:`app.shared.group_view`): its status line, results table and figure, drawn from the store.
"""

from __future__ import annotations

from typing import Any

from app.shared import group_view
from app.shared.state import AppState
from app.tabs.sweep.logic import results_table, status_text
from app.tabs.sweep.plots import sweep_figure
from core import sweep


def _results(state: AppState, sweep_id: int) -> dict[str, Any]:
    return sweep.sweep_results(state.store, sweep_id)


def _body(state: AppState, outcome: dict[str, Any] | None) -> tuple:
    runs, best = (outcome["runs"], outcome["best"]) if outcome else ([], None)
    return results_table(state, runs, best), sweep_figure(runs, best, state.lang)


SWEEP = group_view.GroupKind(
    kind=sweep.KIND, key="sweep_id", results=_results, status=status_text, body=_body,
    body_names=("table", "plot"),
)  # fmt: skip
