"""Checking a whole run configuration before anything is loaded, every problem at once.

Works on plain keyword values (what a form or a YAML file holds), so values that a config
dataclass would refuse are reported together with everything else instead of one at a time.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from core.config import ConfigBase, TrainConfig
from core.errors import PTuneError
from core.hardware import default_device, resolve_precision
from core.methods import METHODS
from core.modeling import load_config, max_positions

MULTITASK_METHODS = ("prompt_tuning", "ptuning_v2")
"""Methods whose prompt a multi-task run can share between tasks."""

MIN_ROOM = 8
"""Fewest real tokens a model must still take once a prompt has its positions."""


def draft(cls: type[ConfigBase], values: dict[str, Any]) -> ConfigBase:
    """An instance of ``cls`` with ``values`` and without validation (to list its problems)."""
    instance = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if f.name in values:
            value = values[f.name]
        elif f.default is not dataclasses.MISSING:
            value = f.default
        else:
            value = f.default_factory()  # type: ignore[misc]
        object.__setattr__(instance, f.name, value)
    return instance


def _labelled(cls: type[ConfigBase], problems: list[str]) -> list[str]:
    """Start each problem with the setting's label, which is what a person sees in the app."""
    labels = {f.name: f.metadata.get("label") for f in dataclasses.fields(cls)}
    out = []
    for problem in problems:
        name = problem.split("=", 1)[0].split(" ", 1)[0]
        label = labels.get(name)
        out.append(f"{label}: {problem}" if label and label != name else problem)
    return out


def config_problems(values: dict[str, Any]) -> list[str]:
    """Every problem of a run's settings (TrainConfig keyword values), one sentence each."""
    problems = _labelled(TrainConfig, draft(TrainConfig, values).problems())
    method = METHODS.get(str(values.get("method", TrainConfig.method)))
    options: dict[str, Any] = {}
    if method is None:
        problems.append(
            f"unknown method '{values.get('method')}'; choose one of {', '.join(METHODS)}"
        )
    else:
        options = dict(values.get("method_options") or {})
        known = {f.name for f in dataclasses.fields(method.config_cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            problems.append(
                f"{', '.join(unknown)} is not a setting of {method.title}; its settings are "
                f"{', '.join(sorted(known)) or 'none'}"
            )
        options = {k: v for k, v in options.items() if k in known}
        option_problems = draft(method.config_cls, options).problems()
        problems += _labelled(method.config_cls, option_problems)
        if option_problems:
            method = None  # the checks below need valid settings
    problems += _task_problems(values)
    try:
        model_config = load_config(str(values.get("model") or TrainConfig.model))
        if method is not None:
            problems += method.model_problems(model_config)
            problems += _room_problems(method, method.config_cls(**options), model_config)
    except PTuneError as exc:
        problems.append(str(exc))
    try:
        resolve_precision(str(values.get("precision") or "auto"), default_device())
    except PTuneError as exc:
        problems.append(str(exc))
    return problems


def _room_problems(method: Any, settings: ConfigBase, model_config: Any) -> list[str]:
    taken, limit = method.reserved_positions(settings), max_positions(model_config)
    if limit - taken >= MIN_ROOM:
        return []
    return [
        f"the prompt takes {taken} of the model's {limit} positions, leaving fewer than "
        f"{MIN_ROOM} for the text; use fewer virtual tokens"
    ]


def _task_problems(values: dict[str, Any]) -> list[str]:
    method = values.get("method", TrainConfig.method)
    if not values.get("tasks"):
        return []
    if method not in MULTITASK_METHODS:
        return [
            f"multi-task training shares one prompt between tasks; choose "
            f"{' or '.join(MULTITASK_METHODS)} instead of {method}"
        ]
    if values.get("init_from"):
        return ["a multi-task run starts from fresh weights; leave 'start from adapter' empty"]
    return []
