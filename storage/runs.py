"""The ``runs`` table: a run's record from creation to its final status, and its removal."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from . import files
from .columns import FINISHED, check_status, decode_run, encode_run_fields
from .connection import Connections, insert_row
from .errors import InvalidNameError
from .util import now_iso


def checkpoint_dir(conn: Connections, run_id: int) -> Path:
    """The conventional checkpoint folder: ``home/checkpoints/run-<id>`` (not created)."""
    return conn.home / "checkpoints" / f"run-{run_id}"


def insert_run(conn: Connections, row: dict[str, Any]) -> int:
    """Insert a runs row (its values encoded by :func:`encode_run_fields`); its id."""
    with conn.write() as db:
        return insert_row(db, "runs", row)


def create_run(
    conn: Connections,
    *,
    name: str,
    method: str,
    base_model: str,
    dataset: str,
    config: dict[str, Any],
    label_names: list[str] | None = None,
    status: str = "queued",
    sweep_id: int | str | None = None,
    resumed_from: int | None = None,
) -> int:
    """Record a new run, noting this process and host; its id (see ``Store.create_run``)."""
    row = encode_run_fields(
        {
            "name": name,
            "method": method,
            "base_model": base_model,
            "dataset": dataset,
            "config": config,
            "label_names": label_names,
            "status": status,
            "sweep_id": None if sweep_id is None else str(sweep_id),
            "resumed_from": resumed_from,
            "created_at": now_iso(),
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
        }
    )
    with conn.write():
        if resumed_from is not None:
            conn.require_run(resumed_from)
        return insert_run(conn, row)


def start_run(conn: Connections, run_id: int, *, pid: int | None = None) -> None:
    """Mark a run running now, in process ``pid`` (default: this one) on this host."""
    update_run(
        conn,
        run_id,
        status="running",
        started_at=now_iso(),
        finished_at=None,
        error=None,
        pid=os.getpid() if pid is None else pid,
        hostname=socket.gethostname(),
    )


def queue_run(conn: Connections, run_id: int, status: str) -> bool:
    """Mark a run that is ``status`` now ``queued`` again in this process; False (nothing
    changed) if its status is no longer ``status``."""
    with conn.write() as db:
        cursor = db.execute(
            "UPDATE runs SET status = 'queued', started_at = ?, finished_at = NULL, "
            "error = NULL, pid = ?, hostname = ? WHERE id = ? AND status = ?",
            [now_iso(), os.getpid(), socket.gethostname(), run_id, status],
        )
    return cursor.rowcount == 1


def update_run(conn: Connections, run_id: int, **fields: Any) -> None:
    """Set columns of a run (dict/list values stored as JSON); ValueError for unknown ones."""
    values = encode_run_fields(fields)
    with conn.write() as db:
        if not values:
            conn.require_run(run_id)
            return
        assignments = ", ".join(f"[{key}] = ?" for key in values)
        cursor = db.execute(
            f"UPDATE runs SET {assignments} WHERE id = ?", [*values.values(), run_id]
        )
        if cursor.rowcount == 0:
            raise conn.run_not_found(run_id)


def finish_run(
    conn: Connections,
    run_id: int,
    status: str,
    *,
    error: str | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    """End a run with a final status, an optional error and final metrics; finished_at now."""
    check_status(status, FINISHED)
    fields: dict[str, Any] = {"status": status, "error": error, "finished_at": now_iso()}
    if metrics is not None:
        fields["metrics"] = metrics
    update_run(conn, run_id, **fields)


def get_run(conn: Connections, run_id: int) -> dict[str, Any]:
    """The run as a dict (JSON columns decoded); RunNotFoundError if absent."""
    rows = list(conn.db["runs"].rows_where("id = ?", [run_id]))
    if not rows:
        raise conn.run_not_found(run_id)
    return decode_run(rows[0])


def list_runs(
    conn: Connections,
    *,
    status: str | None = None,
    sweep_id: int | str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Runs, newest first, optionally only those with a status or of a sweep."""
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("status", status), ("sweep_id", sweep_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(str(value))
    rows = conn.db["runs"].rows_where(
        " AND ".join(clauses) or None, params, order_by="created_at DESC, id DESC", limit=limit
    )
    return [decode_run(row) for row in rows]


def rename_run(conn: Connections, run_id: int, name: str) -> None:
    """Give a run a new name; InvalidNameError if it is empty."""
    if not name or not name.strip():
        raise InvalidNameError("a run name cannot be empty")
    update_run(conn, run_id, name=name.strip())


def delete_run(conn: Connections, run_id: int) -> None:
    """Remove a run, its metrics, its adapter and its checkpoint folder (if inside home)."""
    with conn.write() as db:
        run = get_run(conn, run_id)
        adapter = list(db["adapters"].rows_where("run_id = ?", [run_id]))
        folders = [checkpoint_dir(conn, run_id), run.get("checkpoint_path")]
        folders += [a["checkpoint_path"] for a in adapter]
        for table in ("adapter_files", "adapters", "metrics", "queue"):
            db.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
        db.execute("UPDATE runs SET resumed_from = NULL WHERE resumed_from = ?", [run_id])
        db.execute("DELETE FROM runs WHERE id = ?", [run_id])
        in_use = files.recorded_checkpoints(db)
    files.remove_folders([f for f in folders if f], conn.home, conn.path, in_use)


def runs_version(conn: Connections) -> tuple[Any, ...]:
    """A cheap summary that changes whenever a run is added, deleted, ends or changes status."""
    return tuple(
        conn.db.execute(
            "SELECT COUNT(*), MAX(id), MAX(finished_at), MAX(started_at), "
            "SUM(status = 'succeeded'), SUM(status = 'stopped'), "
            "SUM(status IN ('waiting', 'queued', 'running')) FROM runs"
        ).fetchone()
    )
