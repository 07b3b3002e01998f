"""Runs and groups whose process died: marked ``interrupted`` on open, and where a run resumes.

Only rows of this host are checked (another machine's processes cannot be seen). A ``queued``
run with no process noted was recorded by an older PTune Studio, which noted none until training
started: no process can be asked about it, so it is marked too (if an older version were in fact
still setting it up, its start marks it running again). ``waiting`` runs, in the app's queue,
belong to no process and are never marked: the app starts them when it comes back
(:mod:`storage.queue`).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from . import files, runs
from .connection import Connections
from .errors import CheckpointMissingError
from .util import now_iso

INTERRUPTED_ERROR = (
    "the process running it ended unexpectedly; resume it from its checkpoint or start it again"
)
SWEEP_INTERRUPTED_ERROR = (
    "the process running it ended unexpectedly; its finished runs are kept, start the sweep "
    "again for the rest"
)
FEWSHOT_INTERRUPTED_ERROR = (
    "the process running it ended unexpectedly; its finished runs are kept, resume it to run "
    "the rest"
)
GROUP_INTERRUPTED_ERRORS = {"sweep": SWEEP_INTERRUPTED_ERROR, "fewshot": FEWSHOT_INTERRUPTED_ERROR}
"""The error an interrupted group of each kind records."""


def recover_interrupted(conn: Connections) -> list[int]:
    """Mark ``queued`` and ``running`` runs, and ``running`` sweeps, whose process is gone
    ``interrupted``; the run ids."""
    host = socket.gethostname()
    rows = conn.db.execute(
        "SELECT id, status, pid, COALESCE(started_at, created_at) FROM runs "
        "WHERE status IN ('queued', 'running') AND (hostname = ? OR "
        "(status = 'queued' AND pid IS NULL))",
        [host],
    ).fetchall()
    dead = _mark_dead(conn, "runs", rows, INTERRUPTED_ERROR)
    for kind, error in GROUP_INTERRUPTED_ERRORS.items():
        rows = conn.db.execute(
            "SELECT id, status, pid, created_at FROM sweeps "
            "WHERE status = 'running' AND hostname = ? AND kind = ?",
            [host, kind],
        ).fetchall()
        _mark_dead(conn, "sweeps", rows, error)
    return dead


def _mark_dead(conn: Connections, table: str, rows: list[tuple[Any, ...]], error: str) -> list[int]:
    """Mark the rows (id, status, pid, recorded at) whose process is gone ``interrupted``.

    A row is only changed if it still has the status and pid read, so a run another
    process resumed meanwhile is left alone.
    """
    dead = [
        (row_id, status, pid)
        for row_id, status, pid, recorded in rows
        if (pid is None and status == "queued") or not files.pid_alive(pid, recorded)
    ]
    if not dead:
        return []
    marked = []
    with conn.write() as db:
        for row_id, status, pid in dead:
            cursor = db.execute(
                f"UPDATE {table} SET status = 'interrupted', error = ?, finished_at = ? "
                "WHERE id = ? AND status = ? AND pid IS ?",
                [error, now_iso(), row_id, status, pid],
            )
            if cursor.rowcount:
                marked.append(row_id)
    return marked


def checkpoint_path(conn: Connections, run_id: int) -> Path:
    """The run's resumable checkpoint folder; CheckpointMissingError if none or gone."""
    run = runs.get_run(conn, run_id)
    adapter = list(conn.db["adapters"].rows_where("run_id = ?", [run_id]))
    recorded = [run.get("checkpoint_path")] + [a["checkpoint_path"] for a in adapter]
    candidates = [Path(p) for p in recorded if p] or [runs.checkpoint_dir(conn, run_id)]
    for folder in candidates:
        if folder.is_dir():
            return folder
    where = ", ".join(str(p) for p in candidates)
    raise CheckpointMissingError(
        f"run {run_id} ({run['name']}) has no checkpoint to resume from: {where} is "
        "missing (never written, deleted, or on another machine); start the run again "
        "instead"
    )
