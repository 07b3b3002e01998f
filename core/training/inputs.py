"""What a run starts from: its settings, checked, and the dataset they describe."""

from __future__ import annotations

from typing import cast

from core.checks import checked
from core.config import ConfigBase, TrainConfig
from core.data.loading import load_data
from core.data.splits import DataBundle
from core.methods import Method


def check_config(config: TrainConfig) -> tuple[Method, ConfigBase]:
    """Check everything that can be checked before loading data (:func:`core.checks.checked`,
    which raises one :class:`ConfigProblems` listing all); the method and its settings."""
    result = checked(config)
    return cast(Method, result.method), cast(ConfigBase, result.settings)


def load_run_data(config: TrainConfig) -> DataBundle:
    """The dataset a run's settings describe (columns, validation split, row cap)."""
    return load_data(
        config.data,
        text_column=config.text_column,
        label_column=config.label_column,
        task=config.task,
        text_pair_column=config.text_pair_column,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
        max_train_rows=config.max_train_rows,
        shots_per_class=config.shots_per_class,
        eval_sample_rows=config.eval_sample_rows,
    )
