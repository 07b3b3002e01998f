"""A few-shot experiment's results: each run, and per method and size the mean and spread.

Only runs that trained their whole plan (``succeeded``) count: a stopped run trained fewer
steps and would not be comparable. When a point was run more than once (an experiment resumed
after its run was interrupted), its newest succeeded run counts.
"""

from __future__ import annotations

import statistics
from typing import Any

from core.config import TrainConfig
from core.fewshot.plan import ALL, Shot
from core.tasks import best_score
from storage.store import Store

SCORES = ("eval_accuracy", "eval_f1")


def point_of(run: dict[str, Any]) -> tuple[str, Shot, int]:
    """(method, examples per class, seed) of a run of an experiment, from its settings."""
    config = TrainConfig.from_stored(run.get("config"))
    shots = config.shots_per_class
    return run["method"], ALL if shots is None else int(shots), int(config.seed)


def run_result(run: dict[str, Any]) -> dict[str, Any]:
    """One run: its point, status and final scores."""
    method, k, seed = point_of(run)
    metrics = run.get("metrics") or {}
    return {
        "run_id": run["id"], "method": method, "shots": k, "seed": seed,
        "status": run["status"], "eval_accuracy": _headline(metrics),
        "eval_f1": metrics.get("eval_f1"), "train_seconds": metrics.get("train_seconds"),
        "error": run.get("error"),
    }  # fmt: skip


def _headline(metrics: dict[str, Any]) -> float | None:
    """A run's point on the curve: its accuracy; a score's run (no accuracy): its task's best
    metric, Pearson correlation (:func:`core.tasks.best_score`)."""
    accuracy = metrics.get("eval_accuracy")
    return best_score(metrics) if accuracy is None else accuracy


def counted(results: list[dict[str, Any]]) -> dict[tuple[str, Shot, int], dict[str, Any]]:
    """The result that counts for each point: its newest succeeded run."""
    chosen: dict[tuple[str, Shot, int], dict[str, Any]] = {}
    for r in sorted(results, key=lambda r: r["run_id"]):
        if r["status"] == "succeeded" and r["eval_accuracy"] is not None:
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
    """One entry per method and size: accuracy and macro-F1 over the seeds that finished."""
    chosen = counted(results)
    entries = []
    for method in methods:
        for k in shots:
            done = [chosen[(method, k, s)] for s in seeds if (method, k, s) in chosen]
            accuracy = _spread([r["eval_accuracy"] for r in done])
            f1 = _spread([r["eval_f1"] for r in done if r["eval_f1"] is not None])
            seconds = [r["train_seconds"] for r in done if r["train_seconds"] is not None]
            entries.append({
                "method": method, "shots": k, "runs": len(done), "planned": len(seeds),
                "accuracy_mean": accuracy["mean"], "accuracy_std": accuracy["std"],
                "accuracy_min": accuracy["min"], "accuracy_max": accuracy["max"],
                "f1_mean": f1["mean"], "f1_std": f1["std"],
                "train_seconds_mean": statistics.fmean(seconds) if seconds else None,
                "run_ids": [r["run_id"] for r in done],
            })  # fmt: skip
    return entries


def fewshot_results(store: Store, experiment_id: int) -> dict[str, Any]:
    """The experiment as recorded: its plan, status, every run (oldest first) and the curve."""
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
        "curve": curve(results, methods, shots, seeds),
        "planned": len(methods) * len(shots) * len(seeds), "done": len(counted(results)),
    }  # fmt: skip
