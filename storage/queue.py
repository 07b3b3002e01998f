"""The app's run queue in the database: runs ``waiting`` for the device, in order.

A run the app cannot start at once (the device is busy) is recorded ``waiting`` with a row in
the ``queue`` table; the app starts the first waiting run whenever its device frees. The rows
outlive the app: waiting runs belong to no process, so :func:`storage.recovery.recover_interrupted`
leaves them alone, and the app starts them when it comes back.

A queued resume keeps what Cancel puts back (``restore``): the run's status, error and times as
they were before it was queued. Cancelling a new run deletes its record, which holds nothing yet
(no metrics, no folder).
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlite_utils import Database

from . import runs
from .columns import decode_run, encode_run_fields
from .connection import Connections
from .errors import NotWaitingError
from .util import from_json, now_iso, to_json

RESTORED = ("status", "error", "started_at", "finished_at", "pid", "hostname")
"""What Cancel puts back on a run queued to resume."""


def enqueue_run(conn: Connections, **fields: Any) -> int:
    """Record a new run ``waiting`` at the end of the queue (the fields of
    :func:`storage.runs.create_run`, without status); its id."""
    row = encode_run_fields(
        {**fields, "status": "waiting", "created_at": now_iso(),
         "pid": os.getpid(), "hostname": socket.gethostname()}
    )  # fmt: skip
    with conn.write() as db:
        run_id = runs.insert_run(conn, row)
        _append(db, run_id, resume=False, restore=None)
    return run_id


def enqueue_resume(conn: Connections, run_id: int, status: str) -> bool:
    """Put a run that is ``status`` (stopped, failed, interrupted) at the end of the queue to
    resume; False, nothing changed, if its status is no longer ``status``."""
    with conn.write() as db:
        run = runs.get_run(conn, run_id)
        if run["status"] != status:
            return False
        db.execute("UPDATE runs SET status = 'waiting' WHERE id = ?", [run_id])
        _append(db, run_id, resume=True, restore={k: run[k] for k in RESTORED})
    return True


def waiting_runs(conn: Connections) -> list[dict[str, Any]]:
    """The waiting runs in the order they start: run dicts with ``position`` (1 first) and
    ``resume`` (whether it continues from its checkpoint)."""
    rows = conn.db.execute(
        "SELECT runs.*, queue.resume AS queue_resume FROM queue JOIN runs ON "
        "runs.id = queue.run_id WHERE runs.status = 'waiting' ORDER BY queue.position"
    )
    names = [column[0] for column in rows.description]
    out = []
    for position, values in enumerate(rows.fetchall(), start=1):
        row = dict(zip(names, values, strict=True))
        resume = bool(row.pop("queue_resume"))
        out.append({**decode_run(row), "position": position, "resume": resume})
    return out


def take_waiting(conn: Connections, run_id: int) -> dict[str, Any] | None:
    """Take a waiting run out of the queue to start it in this process: it becomes ``queued``
    (being set up here). {resume, restore}, or None if it was not waiting (another app took or
    cancelled it first)."""
    with conn.write() as db:
        row = db.execute("SELECT resume, restore FROM queue WHERE run_id = ?", [run_id]).fetchone()
        cursor = db.execute(
            "UPDATE runs SET status = 'queued', started_at = ?, finished_at = NULL, "
            "error = NULL, pid = ?, hostname = ? WHERE id = ? AND status = 'waiting'",
            [now_iso(), os.getpid(), socket.gethostname(), run_id],
        )
        db.execute("DELETE FROM queue WHERE run_id = ?", [run_id])
    if cursor.rowcount != 1:
        return None
    resume, restore = row if row is not None else (0, None)
    return {"resume": bool(resume), "restore": from_json(restore) if restore else None}


def cancel_waiting(conn: Connections, run_id: int) -> bool:
    """Take a run out of the queue before it starts. A new run is deleted (it holds nothing
    yet) and True returned; a queued resume goes back to how it was, False returned.
    NotWaitingError when the run is not waiting."""
    with conn.write() as db:
        row = _queue_row(db, run_id)
        db.execute("DELETE FROM queue WHERE run_id = ?", [run_id])
        if not row["resume"]:
            db.execute("DELETE FROM runs WHERE id = ?", [run_id])
            return True
        restore = encode_run_fields(from_json(row["restore"]) or {"status": "stopped"})
        assignments = ", ".join(f"[{key}] = ?" for key in restore)
        db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*restore.values(), run_id])
    return False


def move_up(conn: Connections, run_id: int) -> int:
    """Swap a waiting run with the one before it; its new position (1 first).
    NotWaitingError when the run is not waiting."""
    with conn.write() as db:
        row = _queue_row(db, run_id)
        before = db.execute(
            "SELECT run_id, position FROM queue WHERE position < ? ORDER BY position DESC LIMIT 1",
            [row["position"]],
        ).fetchone()
        if before is not None:
            db.execute("UPDATE queue SET position = ? WHERE run_id = ?", [before[1], run_id])
            db.execute(
                "UPDATE queue SET position = ? WHERE run_id = ?", [row["position"], before[0]]
            )
        ahead = db.execute(
            "SELECT COUNT(*) FROM queue WHERE position < (SELECT position FROM queue "
            "WHERE run_id = ?)",
            [run_id],
        ).fetchone()[0]
    return int(ahead) + 1


def _append(db: Database, run_id: int, *, resume: bool, restore: dict[str, Any] | None) -> None:
    last = db.execute("SELECT MAX(position) FROM queue").fetchone()[0]
    db.table("queue").insert(
        {"run_id": run_id, "position": (last or 0) + 1, "resume": int(resume),
         "restore": None if restore is None else to_json(restore), "queued_at": now_iso()},
        replace=True,
    )  # fmt: skip


def _queue_row(db: Database, run_id: int) -> dict[str, Any]:
    row = db.execute(
        "SELECT q.position, q.resume, q.restore FROM queue q JOIN runs r ON r.id = q.run_id "
        "WHERE q.run_id = ? AND r.status = 'waiting'",
        [run_id],
    ).fetchone()
    if row is None:
        raise NotWaitingError(
            f"run {run_id} is not waiting in the queue (it has started, was cancelled, or "
            "was never queued); the Monitor tab lists the waiting runs"
        )
    return {"position": row[0], "resume": bool(row[1]), "restore": row[2]}
