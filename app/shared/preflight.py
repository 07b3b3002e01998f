"""The one check before a run starts, shared by the Train tab and the HTTP ``/train``, and
the checks the forms that start a group of runs (Sweep, Few-shot) share.

Settings and data are checked together, every problem at once: the data is loaded as training
will load it, so a request that could never train (a missing file, a single class, a file that
is not UTF-8, columns that cannot be told apart) is refused before any run is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from app.shared import confine
from app.shared.datasets import load_bundle
from app.shared.errors import FormProblems
from app.shared.state import AppState
from core.checks import draft
from core.config import Problem, TrainConfig, parse_tasks
from core.data.splits import DataBundle
from core.errors import DataError, message_of
from core.messages import say
from core.modeling import DEFAULT_MODEL
from core.training.multitask import combine


def check_start(state: AppState, values: dict[str, Any]) -> tuple[TrainConfig, DataBundle | None]:
    """The run's settings (TrainConfig keyword values) checked, and its dataset loaded.

    Raises FormProblems listing every problem of the settings and of each dataset, paths the app
    does not serve among them (:mod:`app.shared.confine`; such a dataset is never read); the bundle
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
            reason = message_of(exc)
            message = say("{task}: {reason}", task=name, reason=reason) if name else reason
            problems.append(TrainConfig.problem("data", message))
    refuse(problems)
    bundle = combine(bundles)[0] if len(bundles) > 1 else next(iter(bundles.values()), None)
    return cast(TrainConfig, check.config), bundle


def _sources(values: dict[str, Any]) -> dict[str, Any]:
    """The datasets to load: each task's ({name: source}), else the one (under "")."""
    tasks = parse_tasks(values.get("tasks"))
    data = str(values.get("data") or "").strip()
    if isinstance(tasks, dict) and tasks:
        return tasks
    return {"": data} if data else {}


def refuse(problems: Sequence[Any]) -> None:
    """Raise FormProblems listing each problem once, in the order found, when there is any."""
    if problems:
        raise FormProblems(list(dict.fromkeys(problems)))


def problem_sentence(problem: Problem) -> str:
    """A problem as a form lists it: its setting's label (when it has one) and what is wrong,
    kept translatable."""
    if problem.label is None:
        return problem.message
    return say("{label}: {message}", label=problem.label, message=problem.message)


def group_base(
    state: AppState, base: dict[str, Any], refused: list[Problem]
) -> tuple[dict[str, Any], list[str]]:
    """For a form that starts a group of runs (a sweep, a few-shot experiment): the base
    settings its plan is checked against, and the dataset's problem if it cannot train.

    A refused model folder is never read: the plan is checked against the default model then.
    A refused dataset is not loaded (its refusal is already among ``refused``).
    """
    model_refused = any(problem.setting == "model" for problem in refused)
    checked = {**base, "model": DEFAULT_MODEL} if model_refused else base
    problems: list[str] = []
    if str(base.get("data") or "").strip() and not confine.data_refusal(state, base["data"]):
        try:
            load_bundle(state, draft(TrainConfig, base))
        except DataError as exc:
            problems.append(message_of(exc))
    return checked, problems
