"""Config dataclasses with help text and ranges that the app's forms, the command line and the
checks read.

- :mod:`core.config.fields`: the settings machinery (:func:`param`, :class:`Problem`, field
  kinds, :func:`coerce_numbers`, :class:`ConfigBase`);
- :mod:`core.config.train`: :class:`TrainConfig`, one training run, and its defaults;
- :mod:`core.config.multitask`: reading and checking the datasets of a multi-task run;
- :mod:`core.config.stored`: reading settings that an earlier version stored
  (:meth:`ConfigBase.from_stored`).
"""

from core.config.fields import (
    KINDS,
    ConfigBase,
    FieldKind,
    Problem,
    coerce_numbers,
    field_kind,
    param,
)
from core.config.multitask import TASK_NAME_CHARS, parse_tasks, task_problems
from core.config.train import (
    DEFAULT_METHOD,
    DEFAULT_MODEL,
    MIN_PER_CLASS,
    MIN_TRAIN_ROWS,
    POOLINGS,
    PRECISIONS,
    TrainConfig,
    stored_run_config,
)

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_MODEL",
    "KINDS",
    "MIN_PER_CLASS",
    "MIN_TRAIN_ROWS",
    "POOLINGS",
    "PRECISIONS",
    "TASK_NAME_CHARS",
    "ConfigBase",
    "FieldKind",
    "Problem",
    "TrainConfig",
    "coerce_numbers",
    "field_kind",
    "param",
    "parse_tasks",
    "stored_run_config",
    "task_problems",
]
