"""The Monitor's runs, without Gradio: the run table, the settings that differ between runs,
a run's progress bar and status line, and the view of the runs shown with their metric rows.

The view is a per-page dict: the ids of the runs shown, their metric rows read so far, the
signature (id and status of each listed run) last drawn, and whether it follows the running job.
"""

from __future__ import annotations

import html
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from app.i18n.scores import score_text
from app.shared.actions import active_run_id
from app.shared.estimate import duration
from app.shared.state import AppState
from core.config import TrainConfig
from core.tasks import best_score

TABLE_LIMIT = 200
LIVE = ("queued", "running")


def run_label(run: dict[str, Any]) -> str:
    return f"#{run['id']} {run['name']}"


def _seconds(run: dict[str, Any]) -> float | None:
    if not run.get("started_at"):
        return None
    start = datetime.fromisoformat(run["started_at"])
    end = datetime.fromisoformat(run["finished_at"]) if run.get("finished_at") else None
    return ((end or datetime.now(timezone.utc)) - start).total_seconds()


def runs_table(state: AppState, runs: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per run: id, name, status, method, score, duration, error. The score is the one
    the run's task ranks by, with its name (``0.912 accuracy``, ``0.871 Pearson``)."""
    rows = []
    for run in runs:
        metrics = run.get("metrics") or {}
        score = score_text(best_score(metrics), metrics.get("task"), state.lang)
        seconds = _seconds(run)
        rows.append([
            run["id"], run["name"], state.translate(run["status"]), run["method"], score,
            "" if seconds is None else duration(seconds), state.translate(run.get("error") or ""),
        ])  # fmt: skip
    keys = ("col_id", "col_name", "col_status", "col_method", "col_run_score", "col_duration")
    columns = [state.text(k) for k in (*keys, "col_error")]
    return pd.DataFrame(rows, columns=columns)


def flatten(config: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in config.items() if k != "method_options"}
    for key, value in (config.get("method_options") or {}).items():
        flat[f"{config.get('method')}.{key}"] = value
    return flat


def config_diff(state: AppState, runs: list[dict[str, Any]]) -> pd.DataFrame:
    """The settings whose values differ between ``runs``: one row per setting."""
    setting = state.text("setting")
    if len(runs) < 2:
        return pd.DataFrame({setting: [state.text("need_two")]})
    flats = [flatten(TrainConfig.from_stored(run.get("config")).to_dict()) for run in runs]
    keys = [k for k in dict.fromkeys(k for flat in flats for k in flat) if k != "out"]
    differing = [k for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1]
    if not differing:
        return pd.DataFrame({setting: [state.text("no_difference")]})
    table = {setting: differing}
    for run, flat in zip(runs, flats, strict=True):
        table[run_label(run)] = ["" if flat.get(k) is None else str(flat.get(k)) for k in differing]
    return pd.DataFrame(table)


def merge_rows(known: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> int:
    """Add the rows of ``fresh`` not yet in ``known``; how many were new."""
    seen = {(r["step"], r["split"], r["name"]) for r in known}
    new = [r for r in fresh if (r["step"], r["split"], r["name"]) not in seen]
    known.extend(new)
    return len(new)


def fetch_rows(state: AppState, view: dict[str, Any], run_id: int) -> int:
    """Read the run's rows from the last step seen on (that step again: eval rows come after
    the train row of the same step); how many were new."""
    known = view["rows"].setdefault(run_id, [])
    last = max((r["step"] for r in known), default=0)
    return merge_rows(known, state.store.read_metrics(run_id, since_step=last - 1))


# ----------------------------------------------------------------------------- view
def new_view() -> dict[str, Any]:
    return {"runs": [], "rows": {}, "sig": None, "follow": True}


def latest(rows: list[dict[str, Any]], split: str, name: str) -> float | None:
    values = [r["value"] for r in rows if r["split"] == split and r["name"] == name]
    return values[-1] if values else None


def progress_html(state: AppState, run: dict[str, Any] | None, rows: list[dict[str, Any]]) -> str:
    """A progress bar with step, percentage and ETA of one run."""
    if run is None:
        return ""
    progress = latest(rows, "train", "progress") or 0.0
    total = int(latest(rows, "train", "total_steps") or 0)
    step = int(max((r["step"] for r in rows), default=0))
    if run["status"] in LIVE:
        eta = duration(latest(rows, "train", "eta_seconds") or 0)
        words = state.text(
            "eta", step=step, total=total or "?", percent=int(progress * 100), eta=eta
        )
    else:
        progress = 1.0 if run["status"] == "succeeded" else progress
        words = state.text("done", step=step, total=total or step)
    color = {"failed": "#dc2626", "stopped": "#ea580c"}.get(run["status"], "#2563eb")
    return (
        '<div style="background:#e5e7eb;border-radius:6px;height:14px;overflow:hidden">'
        f'<div style="width:{progress:.1%};background:{color};height:100%"></div></div>'
        f'<div style="font-size:0.9em;margin-top:4px">{html.escape(words)}</div>'
    )


def status_text(state: AppState, run: dict[str, Any] | None) -> str:
    if run is None:
        return state.text("no_runs")
    if run["status"] == "failed":
        return state.text(
            "status_error", run_id=run["id"], error=state.translate(run.get("error") or "?")
        )
    return state.text(
        "status_line",
        run_id=run["id"],
        name=run["name"],
        method=run["method"],
        status=state.translate(run["status"]),
    )


def signature(runs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(run["id"], run["status"]) for run in runs]


def toggle(view: dict[str, Any] | None, run_id: Any) -> list[int]:
    """The selection with ``run_id`` added, or removed when it was already shown."""
    shown = list((view or {}).get("runs") or [])
    run_id = int(run_id)
    return [i for i in shown if i != run_id] if run_id in shown else [*shown, run_id]


def attached_run_ids(state: AppState) -> list[int]:
    """The runs a new page shows: the one training (followed), else the latest run."""
    running = active_run_id(state)
    if running is not None:
        return [running]
    return [run["id"] for run in state.store.list_runs(limit=1)]


def shown_run_id(state: AppState, view: dict[str, Any] | None) -> int | None:
    """The run the Monitor shows first: the view's, or the one a new page shows."""
    ids = attached_run_ids(state) if view is None else view.get("runs") or []
    return int(ids[0]) if ids else None
