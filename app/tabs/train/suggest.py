"""The Train tab's model suggestions and memory estimate, without Gradio: known encoder and
decoder models by size (:mod:`core.model_catalog`), each with the peak memory a run of the
chosen method would take (:mod:`core.fit`), and the estimate line of a checked run."""

from __future__ import annotations

from typing import Any

import pandas as pd

from app.shared.estimate import human_count
from app.shared.state import AppState
from core.config import TrainConfig
from core.errors import PTuneError
from core.fit import GB, available_bytes, estimate_memory, model_size
from core.hardware import default_device, resolve_precision
from core.model_catalog import suggestions
from core.modeling import load_config


def _number(value: Any, default: int) -> int:
    """A form's number (None, text or a float while typed) as a positive whole number."""
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def _precision(requested: Any) -> str:
    try:
        return resolve_precision(str(requested or TrainConfig.precision), default_device())
    except PTuneError:  # fp16 on a CPU: the check names it; estimate as fp32 meanwhile
        return "no"


def suggestion_table(
    state: AppState, method: Any, batch_size: Any, max_length: Any, precision: Any,
    checkpointing: Any = False,
) -> pd.DataFrame:  # fmt: skip
    """The known models, smallest first, with the estimated peak memory of the form's run."""
    rows = suggestions(
        str(method or TrainConfig.method), _number(batch_size, TrainConfig.batch_size),
        _number(max_length, TrainConfig.max_length), _precision(precision), bool(checkpointing),
        available_bytes(default_device()), default_device(),
    )  # fmt: skip
    columns = ["model", "kind", "family", "parameters", "memory", "fits", "speed"]
    table = pd.DataFrame(
        [
            [
                row.model_id,
                state.text(f"suggest_{row.kind}"),
                row.family,
                human_count(row.parameters),
                round(row.memory_gb, 1),
                "✓" if row.fits else "✗",
                f"{row.rows_per_second:.3g}",
            ]
            for row in rows
        ],  # fmt: skip
        columns=[state.text(f"suggest_{name}") for name in columns],
    )
    return table


def picked_model(table: pd.DataFrame, row: int) -> str | None:
    """The model id of the table's ``row`` (a click on it), None outside the table."""
    if not 0 <= row < len(table):
        return None
    return str(table.iloc[row, 0])


def memory_text(state: AppState, config: TrainConfig) -> str:
    """The checked run's estimated peak memory against what this machine has free."""
    device = default_device()
    estimate = estimate_memory(
        model_size(load_config(config.model)), config.method, config.batch_size,
        config.max_length, _precision(config.precision), config.gradient_checkpointing,
    )  # fmt: skip
    need, have = estimate.total / GB, available_bytes(device) / GB
    return state.text("estimate_memory", need=f"{need:.1f}", have=f"{have:.1f}")
