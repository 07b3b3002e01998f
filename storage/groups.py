"""The ``sweeps`` table: groups of runs, each a sweep (a grid of settings) or a few-shot
experiment (a learning curve), with the status of the group as a whole."""

from __future__ import annotations

import os
import socket
from typing import Any

from . import runs
from .connection import Connections, insert_row
from .errors import GroupStateError, InvalidNameError
from .util import from_json, now_iso, to_json

SWEEP_STATUSES = ("running", "succeeded", "stopped", "failed", "interrupted")
SWEEP_FINISHED = ("succeeded", "stopped", "failed", "interrupted")
SWEEP_KINDS = ("sweep", "fewshot")


def _decode_sweep(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "grid": from_json(row["grid"]), "config": from_json(row["config"])}


def create_sweep(
    conn: Connections,
    *,
    name: str,
    method: str,
    dataset: str,
    grid: dict[str, Any],
    config: dict[str, Any],
    pid: int | None = None,
    kind: str = "sweep",
) -> int:
    """Record a new group of runs, ``running`` in process ``pid`` (default: this one); its id.

    InvalidNameError for an empty name; ValueError (a bug) for a kind not in ``SWEEP_KINDS``.
    """
    if not name or not name.strip():
        raise InvalidNameError("a sweep name cannot be empty")
    if kind not in SWEEP_KINDS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(SWEEP_KINDS)}")
    row = {
        "kind": kind,
        "name": name.strip(), "method": method, "dataset": dataset, "grid": to_json(grid),
        "config": to_json(config), "status": "running", "created_at": now_iso(),
        "pid": os.getpid() if pid is None else pid, "hostname": socket.gethostname(),
    }  # fmt: skip
    with conn.write() as db:
        return insert_row(db, "sweeps", row)


def finish_sweep(
    conn: Connections, sweep_id: int, status: str, *, error: str | None = None
) -> None:
    """End a sweep with a final status and an optional error; finished_at now."""
    if status not in SWEEP_FINISHED:
        raise ValueError(
            f"unknown final sweep status {status!r}; use one of {', '.join(SWEEP_FINISHED)}"
        )
    with conn.write() as db:
        cursor = db.execute(
            "UPDATE sweeps SET status = ?, error = ?, finished_at = ? WHERE id = ?",
            [status, error, now_iso(), sweep_id],
        )
        if cursor.rowcount == 0:
            raise conn.sweep_not_found(sweep_id)


def reopen_sweep(conn: Connections, sweep_id: int) -> None:
    """Mark a finished group of runs ``running`` again, in this process, to run the rest.

    GroupStateError while it is running (in this or another live process).
    """
    sweep = get_sweep(conn, sweep_id)
    with conn.write() as db:
        cursor = db.execute(
            "UPDATE sweeps SET status = 'running', error = NULL, finished_at = NULL, "
            "pid = ?, hostname = ? WHERE id = ? AND status != 'running'",
            [os.getpid(), socket.gethostname(), sweep_id],
        )
        if cursor.rowcount == 0:
            raise GroupStateError(
                f"{sweep['name']} (#{sweep_id}) is still running; it cannot be resumed "
                "until it ends"
            )


def get_sweep(conn: Connections, sweep_id: int) -> dict[str, Any]:
    """The sweep as a dict (grid and config decoded); SweepNotFoundError if absent."""
    rows = list(conn.db["sweeps"].rows_where("id = ?", [sweep_id]))
    if not rows:
        raise conn.sweep_not_found(sweep_id)
    return _decode_sweep(rows[0])


def list_sweeps(
    conn: Connections,
    *,
    status: str | None = None,
    limit: int | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """Groups of runs, newest first (optionally only those with a status, or of a kind)."""
    clauses, params = [], []
    for column, value in (("status", status), ("kind", kind)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    where = " AND ".join(clauses) or None
    rows = conn.db["sweeps"].rows_where(where, params, order_by="id DESC", limit=limit)
    return [_decode_sweep(row) for row in rows]


def delete_sweep(conn: Connections, sweep_id: int, *, delete_runs: bool = False) -> list[int]:
    """Remove a sweep's record (and its runs when ``delete_runs``); the ids of the runs deleted.

    GroupStateError while it is running.
    """
    sweep = get_sweep(conn, sweep_id)
    if sweep["status"] == "running":
        raise GroupStateError(
            f"cannot delete sweep {sweep_id} ({sweep['name']}) while it is still running; stop "
            "it first, then delete it"
        )
    run_ids = [run["id"] for run in runs.list_runs(conn, sweep_id=sweep_id)] if delete_runs else []
    for run_id in run_ids:
        runs.delete_run(conn, run_id)
    with conn.write() as db:
        db.execute("UPDATE runs SET sweep_id = NULL WHERE sweep_id = ?", [str(sweep_id)])
        db.execute("DELETE FROM sweeps WHERE id = ?", [sweep_id])
    return run_ids
