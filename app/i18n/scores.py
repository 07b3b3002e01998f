"""The score a run is judged by, as a person reads it: its task's short name (accuracy,
macro-F1, Pearson, entity F1, :func:`core.tasks.score_name`) in the app's language, a value
with that name, and the task of a group of runs (a sweep, a few-shot experiment) to title a
column or an axis with."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.i18n.engine import translate
from core import tasks


def score_name(task: str | None, lang: str = "en") -> str:
    """The name of ``task``'s ranking score in ``lang`` (no task: accuracy)."""
    return translate(tasks.score_name(task), lang)


def judged_by_accuracy(task: str | None) -> bool:
    """Whether ``task``'s runs are ranked by accuracy (no task, or an unknown one: yes), whose
    figures the views show as shares without a name, as before scores had names."""
    known = tasks.TASKS.get(task or tasks.DEFAULT_TASK)
    return known is None or known.best_metric == "eval_accuracy"


def score_title(task: str | None, lang: str = "en") -> str:
    """The name as a column or axis title: "Accuracy", "Macro-F1", "Pearson", "Entity F1"."""
    name = score_name(task, lang)
    return name[:1].upper() + name[1:]


def score_text(value: float | None, task: str | None, lang: str = "en", digits: int = 3) -> str:
    """``0.871 Pearson``: a score with its name; empty without one."""
    return "" if value is None else f"{value:.{digits}f} {score_name(task, lang)}"


def group_task(results: Iterable[Mapping[str, Any]]) -> str | None:
    """The task of a group's runs (one dataset, so one task): the first that names it."""
    return next((str(r["task"]) for r in results if r.get("task")), None)
