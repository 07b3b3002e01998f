"""A few-shot experiment's results: each run, and per method and size the mean and spread.

A run's point on the curve is its ``score``: the one its task ranks runs by
(:func:`core.tasks.best_score`: accuracy, macro-F1 for several labels per text, Pearson
correlation for a score, entity F1 for tagged words), named by :func:`core.tasks.score_name` of
the experiment's ``task``.

Only runs that trained their whole plan (``succeeded``) count: a stopped run trained fewer
steps and would not be comparable. When a point was run more than once (an experiment resumed
after its run was interrupted), its newest succeeded run counts.
"""

from __future__ import annotations

import statistics
from typing import Any

from core.config import TrainConfig
from core.fewshot.plan import ALL, Shot
from core.tasks import AUTO, best_score
from storage.store import Store


def point_of(run: dict[str, Any]) -> tuple[str, Shot, int]:
    """(method, examples per class, seed) of a run of an experiment, from its settings."""
    config = TrainConfig.from_stored(run.get("config"))
    shots = config.shots_per_class
    return run["method"], ALL if shots is None else int(shots), int(config.seed)


def run_result(run: dict[str, Any]) -> dict[str, Any]:
    """One run: its point, status, task and final scores."""
    method, k, seed = point_of(run)
    metrics = run.get("metrics") or {}
    return {
        "run_id": run["id"], "method": method, "shots": k, "seed": seed,
        "status": run["status"], "task": metrics.get("task"), "score": _headline(metrics),
        "eval_f1": metrics.get("eval_f1"), "train_seconds": metrics.get("train_seconds"),
        "error": run.get("error"),
    }  # fmt: skip


def _headline(metrics: dict[str, Any]) -> float | None:
    """A run's point on the curve: the score its task ranks runs by (accuracy; a score's run:
    Pearson correlation; several labels: macro-F1; tagged words: entity F1)."""
    return best_score(metrics)


def experiment_task(results: list[dict[str, Any]], config: dict[str, Any]) -> str | None:
    """The task the experiment trains (one dataset, one task): its finished runs', else the one
    its shared settings ``config`` name (None when they leave it to ``auto``)."""
    found = next((r["task"] for r in results if r.get("task")), None)
    chosen = found or (config or {}).get("task")
    return None if chosen in (None, "", AUTO) else str(chosen)


def counted(results: list[dict[str, Any]]) -> dict[tuple[str, Shot, int], dict[str, Any]]:
    """The result that counts for each point: its newest succeeded run."""
    chosen: dict[tuple[str, Shot, int], dict[str, Any]] = {}
    for r in sorted(results, key=lambda r: r["run_id"]):
        if r["status"] == "succeeded" and r["score"] is not None:
            chosen[(r["method"], r["shots"], r["seed"])] = r
    return chosen


def _spread(values: list[float]) -> dict[str, float | None]:
    return {
        "mean": statistics.fmean(values) if values else None,
        "std": statistics.stdev(values) if len(values) > 1 else (0.0 if values else None),
        "min": min(values) if values else None,
        "max": max(values) if values else None,
    }


def curve(
    results: list[dict[str, Any]], methods: list[str], shots: list[Shot], seeds: list[int]
) -> list[dict[str, Any]]:
    """One entry per method and size: the score (``score_*``) and F1 over the seeds that
    finished."""
    chosen = counted(results)
    entries = []
    for method in methods:
        for k in shots:
            done = [chosen[(method, k, s)] for s in seeds if (method, k, s) in chosen]
            score = _spread([r["score"] for r in done])
            f1 = _spread([r["eval_f1"] for r in done if r["eval_f1"] is not None])
            seconds = [r["train_seconds"] for r in done if r["train_seconds"] is not None]
            entries.append({
                "method": method, "shots": k, "runs": len(done), "planned": len(seeds),
                "score_mean": score["mean"], "score_std": score["std"],
                "score_min": score["min"], "score_max": score["max"],
                "f1_mean": f1["mean"], "f1_std": f1["std"],
                "train_seconds_mean": statistics.fmean(seconds) if seconds else None,
                "run_ids": [r["run_id"] for r in done],
            })  # fmt: skip
    return entries


def fewshot_results(store: Store, experiment_id: int) -> dict[str, Any]:
    """The experiment as recorded: its plan, status, task, every run (oldest first) and the
    curve."""
    record = store.get_sweep(experiment_id)
    grid = record.get("grid") or {}
    runs = sorted(store.list_runs(sweep_id=experiment_id), key=lambda run: run["id"])
    results = [run_result(run) for run in runs]
    methods, seeds = list(grid.get("methods") or []), list(grid.get("seeds") or [])
    shots = list(grid.get("shots") or [])
    keys = ("name", "dataset", "status", "error", "created_at", "finished_at")
    return {
        "experiment_id": record["id"], **{key: record[key] for key in keys},
        "methods": methods, "shots": shots, "seeds": seeds, "steps": grid.get("steps"),
        "notes": list(grid.get("notes") or []), "runs": results,
        "task": experiment_task(results, record.get("config") or {}),
        "curve": curve(results, methods, shots, seeds),
        "planned": len(methods) * len(shots) * len(seeds), "done": len(counted(results)),
    }  # fmt: skip
