"""The ``metrics`` table: every value a run logs, one row per step, split and name."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from .columns import METRIC_COLUMNS
from .connection import Connections

MetricRow = tuple[int, float | None, Any, str, str, Any]
"""(step, epoch, time, split, name, value): a metric row without its run id."""


def metric_row(row: dict[str, Any], index: int, now: float) -> MetricRow:
    """The values of a logged row {step, epoch?, time?, split?, name, value}; ValueError (a bug
    in the caller) when it lacks a key."""
    missing = [key for key in ("step", "name", "value") if key not in row]
    if missing:
        raise ValueError(f"metric row {index} lacks {', '.join(missing)}: {row!r}")
    epoch, value = row.get("epoch"), row["value"]
    return (
        int(row["step"]),
        None if epoch is None else float(epoch),
        row.get("time", now),
        str(row.get("split", "train")),
        str(row["name"]),
        None if value is None else float(value),  # numpy/torch scalars too
    )


def insert_metric_rows(conn: Connections, run_id: int, rows: Sequence[Sequence[Any]]) -> None:
    """Add rows (step, epoch, time, split, name, value) to an existing run in one transaction."""
    with conn.write() as db:
        conn.require_run(run_id)
        db.conn.executemany(
            f"INSERT INTO metrics ({', '.join(METRIC_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, *row) for row in rows],
        )


def append_metrics(conn: Connections, run_id: int, rows: list[dict[str, Any]]) -> int:
    """Add metric rows {step, epoch, split, name, value, time?} in one transaction; count."""
    now = time.time()
    values = [metric_row(row, i, now) for i, row in enumerate(rows)]
    insert_metric_rows(conn, run_id, values)
    return len(values)


def read_metrics(
    conn: Connections, run_id: int, *, since_step: int = -1, split: str | None = None
) -> list[dict[str, Any]]:
    """Metric rows with step > since_step (and of ``split``), ordered by step."""
    conn.require_run(run_id)
    where = "run_id = ? AND step > ?"
    params: list[Any] = [run_id, since_step]
    if split is not None:
        where, params = where + " AND split = ?", [*params, split]
    return list(
        conn.db["metrics"].rows_where(
            where, params, select=", ".join(METRIC_COLUMNS), order_by="step, rowid"
        )
    )


def delete_metrics_after(conn: Connections, run_id: int, step: int) -> int:
    """Remove metric rows with step > ``step`` (a resumed run redoes them); rows removed."""
    with conn.write() as db:
        conn.require_run(run_id)
        cursor = db.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", [run_id, step])
    return int(cursor.rowcount)


def delete_metrics(conn: Connections, run_id: int, split: str, names: list[str]) -> int:
    """Remove the run's metric rows of ``split`` named one of ``names``; rows removed."""
    marks = ", ".join("?" for _ in names)
    with conn.write() as db:
        conn.require_run(run_id)
        cursor = db.execute(
            f"DELETE FROM metrics WHERE run_id = ? AND split = ? AND name IN ({marks})",
            [run_id, split, *names],
        )
    return int(cursor.rowcount)


def last_step(conn: Connections, run_id: int) -> int:
    """The highest step with a metric row; -1 if none."""
    row = conn.db.execute("SELECT MAX(step) FROM metrics WHERE run_id = ?", [run_id]).fetchone()
    return -1 if row[0] is None else int(row[0])
