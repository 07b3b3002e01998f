"""``Store``: the one SQLite record of every run, its metrics and its adapter."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

from . import adapters, archive, files
from .columns import FINISHED, METRIC_COLUMNS, STATUSES, check_status, decode_run, encode_run_fields
from .connection import Connections, default_db_path, default_home
from .errors import CheckpointMissingError, RunNotFoundError, SweepNotFoundError
from .queue import QueueRecords
from .util import from_json, now_iso, to_json, translate_errors

__all__ = ["Store", "default_db_path", "default_home", "STATUSES", "SWEEP_STATUSES"]

SWEEP_STATUSES = ("running", "succeeded", "stopped", "failed", "interrupted")
SWEEP_FINISHED = ("succeeded", "stopped", "failed", "interrupted")

INTERRUPTED_ERROR = (
    "the process running it ended unexpectedly; resume it from its checkpoint or start it again"
)
SWEEP_INTERRUPTED_ERROR = (
    "the process running it ended unexpectedly; its finished runs are kept, start the sweep "
    "again for the rest"
)


class Store(QueueRecords, Connections):
    """Runs, metrics and adapters in one SQLite file, shared by the app and the command line.

    ``Store(path=None, *, timeout=5.0)``: ``None`` opens :func:`default_db_path`; ``":memory:"``
    is for tests. Opening creates or upgrades the schema and marks runs whose process died as
    ``interrupted`` (see :meth:`recover_interrupted`). ``create=False`` refuses a missing or
    empty file instead of creating a database there; ``upgrade=False`` also reads an older
    database as it stands, unchanged (then nothing is recovered either).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        timeout: float = 5.0,
        create: bool = True,
        upgrade: bool = True,
    ) -> None:
        super().__init__(path, timeout=timeout, create=create, upgrade=upgrade)
        if not self.memory and self.current:
            try:
                self.recover_interrupted()
            except BaseException:
                self.close()
                raise

    def checkpoint_dir(self, run_id: int) -> Path:
        """The conventional checkpoint folder: ``home/checkpoints/run-<id>`` (not created)."""
        return self.home / "checkpoints" / f"run-{run_id}"

    # ------------------------------------------------------------------ runs
    @translate_errors
    def create_run(
        self,
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
        """Record a new run (in sweep ``sweep_id`` when given); its id.

        The run notes this process and host, so that a run whose process dies while it is still
        being set up (``queued``) is found by :meth:`recover_interrupted` too.
        """
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
        with self._write() as db:
            if resumed_from is not None:
                self._require_run(resumed_from)
            return int(db["runs"].insert(row).last_pk)  # type: ignore[union-attr]

    @translate_errors
    def start_run(self, run_id: int, *, pid: int | None = None) -> None:
        """Mark a run running now, in process ``pid`` (default: this one) on this host."""
        self.update_run(
            run_id,
            status="running",
            started_at=now_iso(),
            finished_at=None,
            error=None,
            pid=os.getpid() if pid is None else pid,
            hostname=socket.gethostname(),
        )

    @translate_errors
    def queue_run(self, run_id: int, status: str) -> bool:
        """Mark a run that is ``status`` now ``queued`` again in this process: it is about to
        resume. False (and nothing changed) if its status is no longer ``status``, e.g. because
        another process resumed it first.

        ``started_at`` becomes now, the time this process took the run, which is what
        :meth:`recover_interrupted` compares a process's own start time with.
        """
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET status = 'queued', started_at = ?, finished_at = NULL, "
                "error = NULL, pid = ?, hostname = ? WHERE id = ? AND status = ?",
                [now_iso(), os.getpid(), socket.gethostname(), run_id, status],
            )
        return cursor.rowcount == 1

    @translate_errors
    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set columns of a run (dict/list values stored as JSON); ValueError for unknown ones."""
        values = encode_run_fields(fields)
        with self._write() as db:
            if not values:
                self._require_run(run_id)
                return
            assignments = ", ".join(f"[{key}] = ?" for key in values)
            cursor = db.execute(
                f"UPDATE runs SET {assignments} WHERE id = ?", [*values.values(), run_id]
            )
            if cursor.rowcount == 0:
                raise self._not_found(run_id)

    @translate_errors
    def finish_run(
        self,
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
        self.update_run(run_id, **fields)

    @translate_errors
    def get_run(self, run_id: int) -> dict[str, Any]:
        """The run as a dict (JSON columns decoded); RunNotFoundError if absent."""
        rows = list(self.db["runs"].rows_where("id = ?", [run_id]))
        if not rows:
            raise self._not_found(run_id)
        return decode_run(rows[0])

    @translate_errors
    def list_runs(
        self,
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
        rows = self.db["runs"].rows_where(
            " AND ".join(clauses) or None, params, order_by="created_at DESC, id DESC", limit=limit
        )
        return [decode_run(row) for row in rows]

    @translate_errors
    def rename_run(self, run_id: int, name: str) -> None:
        """Give a run a new (non-empty) name."""
        if not name or not name.strip():
            raise ValueError("a run name cannot be empty")
        self.update_run(run_id, name=name.strip())

    @translate_errors
    def delete_run(self, run_id: int) -> None:
        """Remove a run, its metrics, its adapter and its checkpoint folder (if inside home)."""
        with self._write() as db:
            run = self.get_run(run_id)
            adapter = list(db["adapters"].rows_where("run_id = ?", [run_id]))
            folders = [self.checkpoint_dir(run_id), run.get("checkpoint_path")]
            folders += [a["checkpoint_path"] for a in adapter]
            for table in ("adapter_files", "adapters", "metrics", "queue"):
                db.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])
            db.execute("UPDATE runs SET resumed_from = NULL WHERE resumed_from = ?", [run_id])
            db.execute("DELETE FROM runs WHERE id = ?", [run_id])
            in_use = files.recorded_checkpoints(db)
        files.remove_folders([f for f in folders if f], self.home, self.path, in_use)

    # --------------------------------------------------------------- metrics
    @translate_errors
    def append_metrics(self, run_id: int, rows: list[dict[str, Any]]) -> int:
        """Add metric rows {step, epoch, split, name, value, time?} in one transaction; count."""
        now = time.time()
        values = []
        for i, row in enumerate(rows):
            missing = [key for key in ("step", "name", "value") if key not in row]
            if missing:
                raise ValueError(f"metric row {i} lacks {', '.join(missing)}: {row!r}")
            epoch, value = row.get("epoch"), row["value"]
            values.append(
                (
                    run_id,
                    int(row["step"]),
                    None if epoch is None else float(epoch),
                    row.get("time", now),
                    str(row.get("split", "train")),
                    str(row["name"]),
                    None if value is None else float(value),  # numpy/torch scalars too
                )
            )
        with self._write() as db:
            self._require_run(run_id)
            db.conn.executemany(
                f"INSERT INTO metrics ({', '.join(METRIC_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                values,
            )
        return len(values)

    @translate_errors
    def read_metrics(
        self, run_id: int, *, since_step: int = -1, split: str | None = None
    ) -> list[dict[str, Any]]:
        """Metric rows with step > since_step (and of ``split``), ordered by step."""
        self._require_run(run_id)
        where, params = "run_id = ? AND step > ?", [run_id, since_step]
        if split is not None:
            where, params = where + " AND split = ?", [*params, split]
        return list(
            self.db["metrics"].rows_where(
                where, params, select=", ".join(METRIC_COLUMNS), order_by="step, rowid"
            )
        )

    @translate_errors
    def delete_metrics_after(self, run_id: int, step: int) -> int:
        """Remove metric rows with step > ``step`` (a resumed run redoes them); rows removed."""
        with self._write() as db:
            self._require_run(run_id)
            cursor = db.execute("DELETE FROM metrics WHERE run_id = ? AND step > ?", [run_id, step])
        return int(cursor.rowcount)

    @translate_errors
    def last_step(self, run_id: int) -> int:
        """The highest step with a metric row; -1 if none."""
        row = self.db.execute("SELECT MAX(step) FROM metrics WHERE run_id = ?", [run_id]).fetchone()
        return -1 if row[0] is None else int(row[0])

    # ------------------------------------------------------- recovery, resume
    @translate_errors
    def recover_interrupted(self) -> list[int]:
        """Mark ``queued`` and ``running`` runs, and ``running`` sweeps, whose process is gone
        ``interrupted``; the run ids.

        Only rows of this host are checked (another machine's processes cannot be seen). A
        ``queued`` run with no process noted was recorded by an older PTune Studio, which noted
        none until training started: no process can be asked about it, so it is marked too (if
        an older version were in fact still setting it up, its start marks it running again).
        ``waiting`` runs, in the app's queue, belong to no process and are never marked: the
        app starts them when it comes back (:mod:`storage.queue`).
        """
        host = socket.gethostname()
        rows = self.db.execute(
            "SELECT id, status, pid, COALESCE(started_at, created_at) FROM runs "
            "WHERE status IN ('queued', 'running') AND (hostname = ? OR "
            "(status = 'queued' AND pid IS NULL))",
            [host],
        ).fetchall()
        dead = self._mark_dead("runs", rows, INTERRUPTED_ERROR)
        rows = self.db.execute(
            "SELECT id, status, pid, created_at FROM sweeps "
            "WHERE status = 'running' AND hostname = ?",
            [host],
        ).fetchall()
        self._mark_dead("sweeps", rows, SWEEP_INTERRUPTED_ERROR)
        return dead

    def _mark_dead(self, table: str, rows: list[tuple[Any, ...]], error: str) -> list[int]:
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
        with self._write() as db:
            for row_id, status, pid in dead:
                cursor = db.execute(
                    f"UPDATE {table} SET status = 'interrupted', error = ?, finished_at = ? "
                    "WHERE id = ? AND status = ? AND pid IS ?",
                    [error, now_iso(), row_id, status, pid],
                )
                if cursor.rowcount:
                    marked.append(row_id)
        return marked

    @translate_errors
    def checkpoint_path(self, run_id: int) -> Path:
        """The run's resumable checkpoint folder; CheckpointMissingError if none or gone."""
        run = self.get_run(run_id)
        adapter = list(self.db["adapters"].rows_where("run_id = ?", [run_id]))
        recorded = [run.get("checkpoint_path")] + [a["checkpoint_path"] for a in adapter]
        candidates = [Path(p) for p in recorded if p] or [self.checkpoint_dir(run_id)]
        for folder in candidates:
            if folder.is_dir():
                return folder
        where = ", ".join(str(p) for p in candidates)
        raise CheckpointMissingError(
            f"run {run_id} ({run['name']}) has no checkpoint to resume from: {where} is "
            "missing (never written, deleted, or on another machine); start the run again "
            "instead"
        )

    # ---------------------------------------------------------------- sweeps
    @translate_errors
    def create_sweep(
        self,
        *,
        name: str,
        method: str,
        dataset: str,
        grid: dict[str, Any],
        config: dict[str, Any],
        pid: int | None = None,
    ) -> int:
        """Record a new sweep, ``running`` in process ``pid`` (default: this one); its id.

        ``grid`` holds the values swept (e.g. ``{"num_virtual_tokens": [10, 20], "lr": [...]}``),
        ``config`` the settings shared by its runs.
        """
        if not name or not name.strip():
            raise ValueError("a sweep name cannot be empty")
        row = {
            "name": name.strip(), "method": method, "dataset": dataset, "grid": to_json(grid),
            "config": to_json(config), "status": "running", "created_at": now_iso(),
            "pid": os.getpid() if pid is None else pid, "hostname": socket.gethostname(),
        }  # fmt: skip
        with self._write() as db:
            return int(db["sweeps"].insert(row).last_pk)  # type: ignore[union-attr]

    @translate_errors
    def finish_sweep(self, sweep_id: int, status: str, *, error: str | None = None) -> None:
        """End a sweep with a final status and an optional error; finished_at now."""
        if status not in SWEEP_FINISHED:
            raise ValueError(
                f"unknown final sweep status {status!r}; use one of {', '.join(SWEEP_FINISHED)}"
            )
        with self._write() as db:
            cursor = db.execute(
                "UPDATE sweeps SET status = ?, error = ?, finished_at = ? WHERE id = ?",
                [status, error, now_iso(), sweep_id],
            )
            if cursor.rowcount == 0:
                raise self._sweep_not_found(sweep_id)

    @translate_errors
    def get_sweep(self, sweep_id: int) -> dict[str, Any]:
        """The sweep as a dict (grid and config decoded); SweepNotFoundError if absent."""
        rows = list(self.db["sweeps"].rows_where("id = ?", [sweep_id]))
        if not rows:
            raise self._sweep_not_found(sweep_id)
        return _decode_sweep(rows[0])

    @translate_errors
    def list_sweeps(
        self, *, status: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Sweeps, newest first (optionally only those with a status)."""
        where, params = ("status = ?", [status]) if status is not None else (None, [])
        rows = self.db["sweeps"].rows_where(where, params, order_by="id DESC", limit=limit)
        return [_decode_sweep(row) for row in rows]

    @translate_errors
    def delete_sweep(self, sweep_id: int, *, delete_runs: bool = False) -> list[int]:
        """Remove a sweep's record; the ids of the runs deleted with it.

        Its runs stay as ordinary runs (no longer grouped) unless ``delete_runs``, which
        deletes them as :meth:`delete_run` does. A sweep still running cannot be deleted.
        """
        sweep = self.get_sweep(sweep_id)
        if sweep["status"] == "running":
            raise ValueError(
                f"sweep {sweep_id} ({sweep['name']}) is still running; stop it first, then "
                "delete it"
            )
        run_ids = [run["id"] for run in self.list_runs(sweep_id=sweep_id)] if delete_runs else []
        for run_id in run_ids:
            self.delete_run(run_id)
        with self._write() as db:
            db.execute("UPDATE runs SET sweep_id = NULL WHERE sweep_id = ?", [str(sweep_id)])
            db.execute("DELETE FROM sweeps WHERE id = ?", [sweep_id])
        return run_ids

    # -------------------------------------------------------------- adapters
    @translate_errors
    def save_adapter(
        self, run_id: int, folder: Path, *, kind: str, checkpoint_path: Path | None = None
    ) -> dict[str, Any]:
        """Store every file under ``folder`` for the run; {size, sha256, files: {path: sha256}}."""
        return adapters.save_adapter(self, run_id, Path(folder), kind, checkpoint_path)

    @translate_errors
    def load_adapter(self, run_id: int, dest: Path) -> Path:
        """Write the run's adapter files into ``dest`` (created), checking each sha256."""
        return adapters.load_adapter(self, run_id, Path(dest))

    @translate_errors
    def adapter_info(self, run_id: int) -> dict[str, Any]:
        """The adapter row plus ``files`` {path: sha256}; AdapterNotFoundError if none."""
        return adapters.adapter_info(self, run_id)

    # -------------------------------------------------------------- archives
    @translate_errors
    def export_run(self, run_id: int, zip_path: Path) -> Path:
        """Write the run (adapter, run.json, metrics.csv, README.md) to a zip file."""
        return archive.export_run(self, run_id, Path(zip_path))

    @translate_errors
    def import_run(self, zip_path: Path) -> int:
        """Add a run exported by :meth:`export_run` (all checks first); its new id."""
        return archive.import_run(self, Path(zip_path))

    # --------------------------------------------------------------- helpers
    def _require_run(self, run_id: int) -> None:
        if self.db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
            raise self._not_found(run_id)

    def _not_found(self, run_id: int) -> RunNotFoundError:
        return RunNotFoundError(
            f"no run with id {run_id} in {self.path}; list the runs with `python -m storage list`"
        )

    def _sweep_not_found(self, sweep_id: int) -> SweepNotFoundError:
        return SweepNotFoundError(
            f"no sweep with id {sweep_id} in {self.path}; the app's Sweep tab lists the "
            "recorded ones"
        )

    @translate_errors
    def delete_metrics(self, run_id: int, split: str, names: list[str]) -> int:
        """Remove the run's metric rows of ``split`` named one of ``names``; rows removed."""
        marks = ", ".join("?" for _ in names)
        with self._write() as db:
            self._require_run(run_id)
            cursor = db.execute(
                f"DELETE FROM metrics WHERE run_id = ? AND split = ? AND name IN ({marks})",
                [run_id, split, *names],
            )
        return int(cursor.rowcount)


def _decode_sweep(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "grid": from_json(row["grid"]), "config": from_json(row["config"])}
