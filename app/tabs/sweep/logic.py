"""The Sweep tab's form, actions and results, without Gradio: the form checked into a
:class:`~core.sweep.SweepConfig`, Start and Stop, the results table and the status line.

The form is checked as the Few-shot tab's is (:func:`app.shared.preflight.group_base`): every
problem is listed at once (:class:`~app.shared.errors.FormProblems`) and nothing is recorded
until all of them are fixed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.i18n.scores import group_task, score_name, score_title
from app.shared import confine, forms
from app.shared.actions import running_group_id
from app.shared.estimate import duration
from app.shared.preflight import group_base, problem_sentence, refuse
from app.shared.state import AppState
from app.tabs.sweep.plots import lr_label, score_of
from core import sweep
from core.config import TrainConfig
from core.training import jobs

DEFAULT_BUDGET_MINUTES = 1.0
FORM = ("data", "model", "method", "lengths", "lrs", "max_steps", "budget", "name")


# ----------------------------------------------------------------------------- form
def lrs_text(method: str) -> str:
    """The default learning rates of a prompt method, as the form shows them."""
    return ",".join(lr_label(lr) for lr in sweep.default_lrs(method))


def sweep_from_form(state: AppState, values: dict[str, Any]) -> sweep.SweepConfig:
    """The form as a checked SweepConfig; FormProblems lists every problem at once (paths the
    app does not serve among them, :mod:`app.shared.confine`)."""
    base = forms.config_values(
        {
            "data": values.get("data"),
            "model": values.get("model"),
            "method": values.get("method"),
            "cfg_max_steps": values.get("max_steps"),
            "cfg_time_budget_minutes": values.get("budget"),
        }
    )
    base.pop("method_options", None)
    lengths, length_problems = sweep.read_values(values.get("lengths") or "", whole=True)
    if length_problems and not lengths:
        lengths = list(sweep.DEFAULT_LENGTHS)  # unreadable: check the rest against the defaults
    refused = confine.path_problems(state, base)
    problems: list[str] = [*map(problem_sentence, refused), *length_problems]
    lrs, lr_problems = sweep.read_values(values.get("lrs") or "", whole=False)
    problems += lr_problems
    method, name = str(base.pop("method", "")), (values.get("name") or "").strip() or None
    checked_base, data_problems = group_base(state, base, refused)
    grid = sweep.sweep_problems(checked_base, method, lengths, lrs or None, name)
    problems += [*map(problem_sentence, grid), *data_problems]
    refuse(problems)
    return sweep.SweepConfig(
        base=TrainConfig(**base),
        method=method,
        lengths=tuple(lengths),
        lrs=tuple(lrs) if lrs else None,
        name=name,
    )


def start_sweep(state: AppState, values: dict[str, Any]) -> tuple[str, int]:
    """Check the form and start the sweep in the background; a status line and its id."""
    config = sweep_from_form(state, values)
    handle = sweep.start_sweep(state.store, config)
    budget = config.base.time_budget_minutes
    each = state.text("sweep_each", duration=duration(budget * 60)) if budget else ""
    return state.text(
        "sweep_started", sweep_id=handle.sweep_id, runs=handle.total, each=each
    ), handle.sweep_id


def running_sweep_id() -> int | None:
    """The sweep running in this process, if any: the one a new page follows (a single run or a
    few-shot experiment is followed by its own view)."""
    return running_group_id(sweep.KIND)


def stop_sweep(state: AppState) -> str:
    """Stop the running sweep: its current run stops and saves, no further run starts."""
    sweep_id = running_sweep_id()
    if sweep_id is None:  # a single run or a few-shot experiment: their own Stop
        return state.text("sweep_not_running")
    stopped = jobs.stop(target=jobs.group_target(sweep.KIND, sweep_id))
    if stopped is None:  # it ended meanwhile (and something else may have started)
        return state.text("sweep_not_running")
    return state.text("sweep_stopping", sweep_id=stopped.group_id)


# ----------------------------------------------------------------------------- results
def results_table(state: AppState, results: list[dict[str, Any]], best: Any) -> pd.DataFrame:
    """One row per run of the sweep; the best one marked in the first column. The score is the
    one the sweep's task ranks by, its column titled with its name ("Accuracy", "Pearson")."""
    best_id = best["run_id"] if best else None
    rows = []
    for r in results:
        score, f1, seconds = score_of(r), r["eval_f1"], r["train_seconds"]
        rows.append(
            [
                state.text("sweep_best_marker") if r["run_id"] == best_id else "",
                r["run_id"],
                r[sweep.LENGTH],
                "" if r["lr"] is None else lr_label(r["lr"]),
                state.translate(r["status"]),
                "" if score is None else f"{score:.4f}",
                "" if f1 is None else f"{f1:.4f}",
                "" if seconds is None else duration(seconds),
                state.translate(r.get("error") or ""),
            ]
        )
    keys = ("sweep_col_best", "col_id", "sweep_col_length", "sweep_col_lr", "col_status")
    columns = [state.text(k) for k in keys] + [score_title(group_task(results), state.lang)]
    columns += [state.text(k) for k in ("sweep_col_f1", "sweep_col_time", "col_error")]
    return pd.DataFrame(rows, columns=columns)


def _planned(outcome: dict[str, Any]) -> int:
    grid = outcome.get("grid") or {}
    return len(grid.get(sweep.LENGTH) or []) * len(grid.get("lr") or [])


def _current_step(state: AppState, run_id: int) -> str:
    last = state.store.last_step(run_id)
    rows = state.store.read_metrics(run_id, since_step=last - 1, split="train")
    total = [r["value"] for r in rows if r["name"] == "total_steps"]
    return state.text("sweep_step", step=max(last, 0), total=int(total[-1]) if total else "?")


def status_text(state: AppState, outcome: dict[str, Any] | None) -> str:
    """One line: the sweep, its status, how far it is, and its best run so far."""
    if outcome is None:
        return state.text("sweep_none")
    runs, best = outcome["runs"], outcome["best"]
    line = state.text(
        "sweep_line",
        sweep_id=outcome["sweep_id"],
        name=outcome["name"],
        method=outcome["method"],
        status=state.translate(outcome["status"]),
        done=sum(r["status"] not in ("queued", "running") for r in runs),
        total=_planned(outcome),
    )
    running = [r for r in runs if r["status"] == "running"]
    if outcome["status"] == "running" and running:
        r = running[-1]
        line += state.text(
            "sweep_current",
            run_id=r["run_id"],
            length=r[sweep.LENGTH],
            lr=lr_label(r["lr"]),
            step=_current_step(state, r["run_id"]),
        )
    if best:
        line += state.text(
            "sweep_best_so_far" if outcome["status"] == "running" else "sweep_best",
            run_id=best["run_id"],
            length=best[sweep.LENGTH],
            lr=lr_label(best["lr"]),
            metric=score_name(group_task(runs), state.lang),
            score=f"{score_of(best):.4f}",
        )
    if outcome.get("error"):
        line += "\n\n" + state.text("sweep_error", error=state.translate(outcome["error"]))
    return line
