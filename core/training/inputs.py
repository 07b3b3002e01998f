"""What a run starts from: its settings, checked, and the dataset they describe."""

from __future__ import annotations

from core.config import ConfigBase, TrainConfig
from core.data.loading import load_data
from core.data.splits import DataBundle
from core.errors import ConfigError
from core.methods import Method, get_method
from core.validation import config_problems


def check_config(config: TrainConfig) -> tuple[Method, ConfigBase]:
    """Check everything that can be checked before loading data; raise one error listing all."""
    problems = config_problems(config.to_dict())
    if problems:
        raise ConfigError("; ".join(problems))
    method = get_method(config.method)
    return method, method.config_cls.from_dict(config.method_options)


def load_run_data(config: TrainConfig) -> DataBundle:
    """The dataset a run's settings describe (columns, validation split, row cap)."""
    return load_data(
        config.data,
        text_column=config.text_column,
        label_column=config.label_column,
        validation_fraction=config.validation_fraction,
        seed=config.seed,
        max_train_rows=config.max_train_rows,
    )
