"""Task types: what one row of a dataset holds and how it reaches the model.

Each task type is one module holding a :class:`~core.tasks.base.Task` (``TASK``) and is listed
in :data:`TASKS`: ``single_label`` (one text, one label), ``pair`` (two texts, one label),
``multi_label`` (one text, a set of labels), ``regression`` (one text or a pair, a number) and
``tagging`` (a tag per word). :func:`detect_source` tells a task a file itself shows (a CoNLL
file is tagged words), :func:`detect_task` the task of a table from its columns, and
:func:`detect_by_labels` from its label values, each with the reason; runs store the
task they trained (adapter folders under ``"task"``), and runs stored before task types existed
read as ``single_label``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.errors import DataError
from core.messages import say
from core.tasks import multi_label, pair, regression, single_label, tagging
from core.tasks.base import Detection, Task

TASKS: dict[str, Task] = {
    module.TASK.name: module.TASK
    for module in (single_label, pair, multi_label, regression, tagging)
}
"""Every task type by name, in the order detection tries them (most specific last)."""
AUTO = "auto"
DEFAULT_TASK = single_label.TASK.name
"""The task of runs stored before task types existed."""
TASK_CHOICES = (AUTO, *TASKS)


def get_task(name: str | None) -> Task:
    """The task type ``name`` (None or empty: :data:`DEFAULT_TASK`)."""
    task = TASKS.get(name or DEFAULT_TASK)
    if task is None:
        raise DataError(
            say("unknown task '{name}'; choose one of {names}", name=name, names=", ".join(TASKS))
        )
    return task


def detect_task(
    columns: Sequence[str],
    task: str = AUTO,
    text_column: str | None = None,
    text_pair_column: str | None = None,
) -> Detection:
    """The task of a table with ``columns``: ``task`` when given, else the first of the task
    types, most specific first, whose :meth:`~core.tasks.base.Task.detect` recognises it.

    Raises:
        DataError: a named column is missing, or the given task does not fit the columns.
    """
    names = [str(c) for c in columns]
    for given in (text_column, text_pair_column):
        if given and given not in names:
            raise DataError(
                say(
                    "column '{column}' not found; available columns: {available}",
                    column=given,
                    available=", ".join(repr(c) for c in names),
                )
            )
    by_columns = [t for t in TASKS.values() if t.detected_by_columns]
    order = by_columns[::-1] if task == AUTO else [get_task(task)]
    for candidate in order:
        found = candidate.detect(names, text_column or None, text_pair_column or None)
        if found is not None:
            if task != AUTO:
                reason = say("chosen: {task}", task=candidate.name)
                if found.text_pair_column and candidate is not pair.TASK:  # a pair of a score
                    reason = say(
                        "chosen: {task} ({reason})", task=candidate.name, reason=found.reason
                    )
                return Detection(found.task, reason, found.text_column, found.text_pair_column)
            return found
    if task == pair.TASK.name:
        raise DataError(
            say(
                "the pair task needs two text columns: none of the known pairs ({known}) is "
                "among the columns {available}; set text_pair_column (CLI: --text-pair-column)",
                known=", ".join(f"{a}/{b}" for a, b in pair.PAIR_NAMES[:4]),
                available=", ".join(repr(c) for c in names),
            )
        )
    raise DataError(say("the task '{task}' does not fit this data", task=task))


def detect_source(source: str | Path, task: str = AUTO) -> Detection | None:
    """The task the file or folder ``source`` itself shows (tagged words), None when its
    columns tell (or it is no local file). A task given that the source does not show is None
    too, except tagging, which a source chosen as tagging always is."""
    path = Path(str(source)).expanduser()
    if task == tagging.TASK.name:
        return Detection(task, say("chosen: {task}", task=task))
    if task != AUTO or not (path.is_file() or path.is_dir()):
        return None
    for candidate in TASKS.values():
        found = candidate.detect_source(path)
        if found is not None:
            return found
    return None


def detect_by_labels(found: Detection, values: Sequence[Any], column: str) -> Detection:
    """``found`` (told from the columns, the task not given), or a task told by the label
    ``column``'s ``values`` (several labels per row, a score) with its reason; a pair of texts
    found in the columns stays one for a task that reads pairs."""
    if found.task not in (DEFAULT_TASK, pair.TASK.name):
        return found
    for candidate in TASKS.values():
        if candidate.detected_by_columns or (found.text_pair_column and not candidate.reads_pairs):
            continue
        reason = candidate.detect_labels(values, column)
        if reason is not None:
            if found.text_pair_column:
                reason = say("{pair}; {labels}", pair=found.reason, labels=reason)
            return Detection(candidate.name, reason, found.text_column, found.text_pair_column)
    return found


def best_score(metrics: dict[str, Any]) -> float | None:
    """A run's score that ranks it (its task's :attr:`~core.tasks.base.Task.best_metric`:
    accuracy, macro-F1 for several labels per text), from its stored metrics."""
    task = TASKS.get(str(metrics.get("task") or DEFAULT_TASK), TASKS[DEFAULT_TASK])
    value = metrics.get(task.best_metric)
    return None if value is None else float(value)


def score_name(task: str | None) -> str:
    """The short name a person reads for the score that ranks ``task``'s runs (its
    :attr:`~core.tasks.base.Task.score_name`); runs of no or an unknown task, as in
    :func:`best_score`: accuracy."""
    return TASKS.get(task or DEFAULT_TASK, TASKS[DEFAULT_TASK]).score_name


def row_for(task: str | None, values: dict[str, Any], inputs: Sequence[str] | None = None) -> Any:
    """One input row of ``task`` (trained on ``inputs``, an adapter's ``"inputs"``) from named
    texts (``{"text": ..., "text_pair": ...}``)."""
    return get_task(task).for_inputs(inputs).row(values)


def takes_pairs(task: str | None, inputs: Sequence[str] | None = None) -> bool:
    """Whether an adapter of ``task`` trained on ``inputs`` predicts pairs of texts."""
    return "text_pair" in get_task(task).for_inputs(inputs).inputs


__all__ = [
    "AUTO",
    "DEFAULT_TASK",
    "TASKS",
    "TASK_CHOICES",
    "Detection",
    "Task",
    "best_score",
    "detect_by_labels",
    "detect_source",
    "detect_task",
    "get_task",
    "row_for",
    "score_name",
    "takes_pairs",
]
