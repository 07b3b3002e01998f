"""Run columns: which exist, which hold JSON, which statuses are allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .util import from_json, to_json

STATUSES = ("waiting", "queued", "running", "succeeded", "failed", "stopped", "interrupted")
"""``waiting``: in the app's queue for the device (it survives a restart, see storage/queue.py);
``queued``: being set up by a live process (left so by a dead one, it becomes ``interrupted``)."""
FINISHED = ("succeeded", "failed", "stopped", "interrupted")
RUN_COLUMNS = (
    "name",
    "method",
    "base_model",
    "dataset",
    "status",
    "config",
    "label_names",
    "created_at",
    "started_at",
    "finished_at",
    "error",
    "metrics",
    "trainable_params",
    "total_params",
    "pid",
    "hostname",
    "sweep_id",
    "resumed_from",
    "checkpoint_path",
)
JSON_COLUMNS = ("config", "label_names", "metrics")
METRIC_COLUMNS = ("run_id", "step", "epoch", "time", "split", "name", "value")


def check_status(status: str, allowed: tuple[str, ...] = STATUSES) -> None:
    if status not in allowed:
        raise ValueError(f"unknown run status {status!r}; use one of {', '.join(allowed)}")


def encode_run_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Column values for ``fields``: JSON for dict/list columns; ValueError on unknown names."""
    unknown = sorted(set(fields) - set(RUN_COLUMNS))
    if unknown:
        raise ValueError(
            f"unknown run field(s) {', '.join(unknown)}; known: {', '.join(RUN_COLUMNS)}"
        )
    if "status" in fields:
        check_status(fields["status"])
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key in JSON_COLUMNS or isinstance(value, (dict, list, tuple)):
            out[key] = None if value is None else to_json(value)
        elif isinstance(value, Path):
            out[key] = str(value)
        else:
            out[key] = value.item() if hasattr(value, "item") else value  # numpy/torch scalars
    return out


def decode_run(row: dict[str, Any]) -> dict[str, Any]:
    """A runs row with its JSON columns decoded."""
    return {k: from_json(v) if k in JSON_COLUMNS else v for k, v in row.items()}
