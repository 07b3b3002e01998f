"""The one check before a run starts, shared by the Train tab and the HTTP ``/train``.

Settings and data are checked together, every problem at once: the data is loaded as training
will load it, so a request that could never train (a missing file, a single class, a file that
is not UTF-8, columns that cannot be told apart) is refused before any run is recorded.
"""

from __future__ import annotations

from typing import Any, cast

from app import confine
from app.datasets import load_bundle
from app.errors import FormProblems
from app.state import AppState
from core.checks import draft
from core.config import TrainConfig, parse_tasks
from core.data.splits import DataBundle
from core.errors import DataError
from core.messages import reason_of, say
from core.training.multitask import combine


def check_start(state: AppState, values: dict[str, Any]) -> tuple[TrainConfig, DataBundle | None]:
    """The run's settings (TrainConfig keyword values) checked, and its dataset loaded.

    Raises FormProblems listing every problem of the settings and of each dataset, paths the app
    does not serve among them (:mod:`app.confine`; such a dataset is never read); the bundle
    combines the tasks' datasets of a multi-task run.
    """
    check = confine.check_run(state, values)
    problems: list[Any] = list(check.problems)
    bundles = {}
    for name, source in _sources(values).items():
        if confine.data_refusal(state, source):
            continue  # listed among the problems already
        try:
            one = draft(TrainConfig, {**values, "data": source, "tasks": {}})
            bundles[name] = load_bundle(state, one)
        except DataError as exc:
            why = reason_of(exc)
            message = say("{task}: {why}", task=name, why=why) if name else why
            problems.append(TrainConfig.problem("data", message))
    if problems:
        raise FormProblems(list(dict.fromkeys(problems)))
    bundle = combine(bundles)[0] if len(bundles) > 1 else next(iter(bundles.values()), None)
    return cast(TrainConfig, check.config), bundle


def _sources(values: dict[str, Any]) -> dict[str, Any]:
    """The datasets to load: each task's ({name: source}), else the one (under "")."""
    tasks = parse_tasks(values.get("tasks"))
    data = str(values.get("data") or "").strip()
    if isinstance(tasks, dict) and tasks:
        return tasks
    return {"": data} if data else {}
