"""The Few-shot tab's tables and status line, without Gradio: the learning curve (method x
examples per class), every run of an experiment, and one line on how far it is. Scores are the
ones the experiment's task ranks runs by, the runs' column titled with its name."""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.i18n.scores import judged_by_accuracy, score_name, score_title
from app.shared.estimate import duration
from app.shared.state import AppState
from app.tabs.fewshot.form import RESUMABLE
from app.tabs.fewshot.plots import method_title
from core import fewshot

Outcome = dict[str, Any]


def _k(state: AppState, k: Any) -> str:
    return state.text("fewshot_all") if k == fewshot.ALL else str(k)


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def curve_table(state: AppState, outcome: Outcome | None) -> pd.DataFrame:
    """Method x examples per class: mean ± std of the score (finished / planned runs)."""
    shots = list(outcome["shots"]) if outcome else []
    method = state.text("fewshot_col_method")
    task = outcome.get("task") if outcome else None
    if not judged_by_accuracy(task):  # the cells' score named: "Method (Pearson)"
        method = f"{method} ({score_name(task, state.lang)})"
    columns = [method] + [_k(state, k) for k in shots]
    if outcome is None:
        return pd.DataFrame([], columns=columns)
    cells: dict[tuple[str, Any], dict[str, Any]] = {
        (e["method"], e["shots"]): e for e in outcome.get("curve", [])
    }
    rows = []
    for method in outcome["methods"]:
        row = [method_title(method, state.lang)]
        for k in shots:
            entry = cells.get((method, k))
            if entry is None or not entry["runs"]:
                runs, planned = 0, len(outcome["seeds"])
                row.append(state.text("fewshot_cell_empty", runs=runs, planned=planned))
                continue
            row.append(
                state.text(
                    "fewshot_cell",
                    mean=f"{entry['score_mean']:.3f}",
                    std=f"{entry['score_std']:.3f}",
                    runs=entry["runs"],
                    planned=entry["planned"],
                )  # fmt: skip
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def runs_table(state: AppState, outcome: Outcome | None) -> pd.DataFrame:
    """Every run of the experiment, oldest first, with its point, status and scores; the score
    column is titled with the task's score ("Accuracy", "Macro-F1", "Pearson", "Entity F1")."""
    rows = [
        [
            r["run_id"],
            method_title(r["method"], state.lang),
            _k(state, r["shots"]),
            r["seed"],
            state.translate(r["status"]),
            _score(r["score"]),
            _score(r["eval_f1"]),
            "" if r["train_seconds"] is None else duration(r["train_seconds"]),
            state.translate(r.get("error") or ""),
        ]  # fmt: skip
        for r in (outcome or {}).get("runs", [])
    ]
    columns = [state.text(k) for k in ("col_id", "fewshot_col_method", "fewshot_col_k",
                                       "fewshot_col_seed", "col_status")]  # fmt: skip
    columns.append(score_title((outcome or {}).get("task"), state.lang))
    columns += [state.text(k) for k in ("sweep_col_f1", "sweep_col_time", "col_error")]
    return pd.DataFrame(rows, columns=columns)


def _current(state: AppState, outcome: Outcome) -> str:
    """The run training now and its step, while the experiment runs."""
    running = [r for r in outcome["runs"] if r["status"] == "running"]
    if outcome["status"] != "running" or not running:
        return ""
    r = running[-1]
    last = state.store.last_step(r["run_id"])
    rows = state.store.read_metrics(r["run_id"], since_step=last - 1, split="train")
    total = [row["value"] for row in rows if row["name"] == "total_steps"]
    return state.text(
        "fewshot_current", run_id=r["run_id"], method=method_title(r["method"], state.lang),
        k=_k(state, r["shots"]), seed=r["seed"], step=max(last, 0),
        total=int(total[-1]) if total else outcome.get("steps") or "?",
    )  # fmt: skip


def status_text(state: AppState, outcome: Outcome | None) -> str:
    """The experiment, its status, how far it is, its current run, notes and error."""
    if outcome is None:
        return state.text("fewshot_none")
    line = state.text(
        "fewshot_line", experiment_id=outcome["experiment_id"], name=outcome["name"],
        status=state.translate(outcome["status"]), done=outcome["done"], planned=outcome["planned"],
        steps=outcome.get("steps") or "?",
    )  # fmt: skip
    line += _current(state, outcome)
    if resumable(outcome):
        line += state.text("fewshot_resume_hint", left=outcome["planned"] - outcome["done"])
    for note in outcome.get("notes") or []:
        line += "\n\n" + state.text("fewshot_note", note=state.translate(note))
    if outcome.get("error"):
        line += "\n\n" + state.text("fewshot_error", error=state.translate(outcome["error"]))
    return line


def resumable(outcome: Outcome | None) -> bool:
    """Resume applies: the experiment ended early and some point has no finished run."""
    return bool(outcome and outcome["status"] in RESUMABLE and outcome["done"] < outcome["planned"])
