"""Try it's thresholds of runs with several labels per text, without Gradio: the table of each
chosen run's threshold per label (as chosen on validation), edited by the person, and the
predictions decided again at the edited thresholds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from app.shared.state import AppState
from core.errors import InputError
from core.training.artifacts import read_meta
from core.training.recording import adapter_folder


def columns(state: AppState) -> list[str]:
    return [state.text("run"), state.text("label"), state.text("tryit_col_threshold")]


def threshold_table(state: AppState, run_ids: Sequence[Any] | None) -> pd.DataFrame:
    """One row per label of each chosen run that has thresholds (several labels per text)."""
    rows = []
    for run_id in run_ids or []:
        meta = read_meta(adapter_folder(state.store, int(run_id)))
        name = state.store.get_run(int(run_id))["name"]
        for label, value in (meta.get("thresholds") or {}).items():
            rows.append([f"#{int(run_id)} {name}", label, round(float(value), 4)])
    return pd.DataFrame(rows, columns=columns(state))


def edited(state: AppState, table: pd.DataFrame | None) -> dict[tuple[str, str], float]:
    """{(run, label): threshold} of the edited table; InputError for a value that is not a
    number between 0 and 1."""
    if table is None or len(table) == 0:
        return {}
    out = {}
    for run, label, value in table.itertuples(index=False, name=None):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not 0 <= number <= 1:
            raise InputError(
                state.text("tryit_bad_threshold", label=label, run=run, value=str(value))
            )
        out[(str(run), str(label))] = number
    return out


def decided(
    state: AppState, results: list[dict[str, Any]], thresholds: dict[tuple[str, str], float]
) -> list[dict[str, Any]]:
    """``results`` with each multi-label answer decided at the edited thresholds (its own
    where the table does not name it); its label "(no label)" when none reaches its own."""
    out = []
    for row in results:
        if "thresholds" not in row:
            out.append(row)
            continue
        own = {
            label: thresholds.get((row["run"], label), value)
            for label, value in row["thresholds"].items()
        }
        chosen = [n for n, p in row["probabilities"].items() if p >= own[n]]
        label = ", ".join(chosen) or state.text("tryit_no_label")
        out.append({**row, "thresholds": own, "labels": chosen, "label": label})
    return out
