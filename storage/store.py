"""``Store``: the one SQLite record of every run, its metrics and its adapter.

A facade: each method hands its work to the module that owns the table (:mod:`storage.runs`,
:mod:`storage.metrics`, :mod:`storage.groups`, :mod:`storage.queue`, :mod:`storage.adapters`,
:mod:`storage.recovery`) or the archive format (:mod:`storage.archive`), over one
:class:`storage.connection.Connections`; raw sqlite3 errors become StorageError subclasses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import adapters, archive, groups, queue, recovery, runs
from . import metrics as run_metrics
from .columns import STATUSES
from .connection import Connections, default_db_path, default_home
from .groups import SWEEP_STATUSES
from .recovery import FEWSHOT_INTERRUPTED_ERROR, INTERRUPTED_ERROR, SWEEP_INTERRUPTED_ERROR
from .util import translate_errors

__all__ = [
    "FEWSHOT_INTERRUPTED_ERROR",
    "INTERRUPTED_ERROR",
    "STATUSES",
    "SWEEP_INTERRUPTED_ERROR",
    "SWEEP_STATUSES",
    "Store",
    "default_db_path",
    "default_home",
]


class Store:
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
        self._conn = Connections(path, timeout=timeout, create=create, upgrade=upgrade)
        if not self.memory and self.current:
            try:
                self.recover_interrupted()
            except BaseException:
                self.close()
                raise

    # ------------------------------------------------------------ connection
    @property
    def path(self) -> Path | str:
        """The database file (absolute), or ``":memory:"``."""
        return self._conn.path

    @property
    def home(self) -> Path:
        """The folder holding the database file (a private, unused temp path for ':memory:')."""
        return self._conn.home

    @property
    def memory(self) -> bool:
        """Whether the database lives in memory only (tests)."""
        return self._conn.memory

    @property
    def current(self) -> bool:
        """Whether the schema is up to date (False only for an older file opened unchanged)."""
        return self._conn.current

    @property
    def timeout(self) -> float:
        """Seconds a write waits for another writer before DatabaseLockedError."""
        return self._conn.timeout

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the store can no longer be used)."""
        return self._conn.closed

    @property
    def db(self) -> Database:
        """This thread's ``sqlite_utils.Database``, opened on first use."""
        return self._conn.db

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def checkpoint_dir(self, run_id: int) -> Path:
        """The conventional checkpoint folder: ``home/checkpoints/run-<id>`` (not created)."""
        return runs.checkpoint_dir(self._conn, run_id)

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
        return runs.create_run(
            self._conn, name=name, method=method, base_model=base_model, dataset=dataset,
            config=config, label_names=label_names, status=status, sweep_id=sweep_id,
            resumed_from=resumed_from,
        )  # fmt: skip

    @translate_errors
    def start_run(self, run_id: int, *, pid: int | None = None) -> None:
        """Mark a run running now, in process ``pid`` (default: this one) on this host."""
        runs.start_run(self._conn, run_id, pid=pid)

    @translate_errors
    def queue_run(self, run_id: int, status: str) -> bool:
        """Mark a run that is ``status`` now ``queued`` again in this process: it is about to
        resume. False (and nothing changed) if its status is no longer ``status``, e.g. because
        another process resumed it first.

        ``started_at`` becomes now, the time this process took the run, which is what
        :meth:`recover_interrupted` compares a process's own start time with.
        """
        return runs.queue_run(self._conn, run_id, status)

    @translate_errors
    def update_run(self, run_id: int, **fields: Any) -> None:
        """Set columns of a run (dict/list values stored as JSON); ValueError for unknown ones."""
        runs.update_run(self._conn, run_id, **fields)

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
        runs.finish_run(self._conn, run_id, status, error=error, metrics=metrics)

    @translate_errors
    def get_run(self, run_id: int) -> dict[str, Any]:
        """The run as a dict (JSON columns decoded); RunNotFoundError if absent."""
        return runs.get_run(self._conn, run_id)

    @translate_errors
    def list_runs(
        self,
        *,
        status: str | None = None,
        sweep_id: int | str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Runs, newest first, optionally only those with a status or of a sweep."""
        return runs.list_runs(self._conn, status=status, sweep_id=sweep_id, limit=limit)

    @translate_errors
    def rename_run(self, run_id: int, name: str) -> None:
        """Give a run a new (non-empty) name; InvalidNameError for an empty one."""
        runs.rename_run(self._conn, run_id, name)

    @translate_errors
    def delete_run(self, run_id: int) -> None:
        """Remove a run, its metrics, its adapter and its checkpoint folder (if inside home)."""
        runs.delete_run(self._conn, run_id)

    @translate_errors
    def runs_version(self) -> tuple[Any, ...]:
        """A cheap summary that changes whenever a run is added, deleted, ends or changes
        status: what pickers poll to know whether to read the runs again."""
        return runs.runs_version(self._conn)

    # --------------------------------------------------------------- metrics
    @translate_errors
    def append_metrics(self, run_id: int, rows: list[dict[str, Any]]) -> int:
        """Add metric rows {step, epoch, split, name, value, time?} in one transaction; count."""
        return run_metrics.append_metrics(self._conn, run_id, rows)

    @translate_errors
    def read_metrics(
        self, run_id: int, *, since_step: int = -1, split: str | None = None
    ) -> list[dict[str, Any]]:
        """Metric rows with step > since_step (and of ``split``), ordered by step."""
        return run_metrics.read_metrics(self._conn, run_id, since_step=since_step, split=split)

    @translate_errors
    def delete_metrics_after(self, run_id: int, step: int) -> int:
        """Remove metric rows with step > ``step`` (a resumed run redoes them); rows removed."""
        return run_metrics.delete_metrics_after(self._conn, run_id, step)

    @translate_errors
    def delete_metrics(self, run_id: int, split: str, names: list[str]) -> int:
        """Remove the run's metric rows of ``split`` named one of ``names``; rows removed."""
        return run_metrics.delete_metrics(self._conn, run_id, split, names)

    @translate_errors
    def last_step(self, run_id: int) -> int:
        """The highest step with a metric row; -1 if none."""
        return run_metrics.last_step(self._conn, run_id)

    # ------------------------------------------------------- recovery, resume
    @translate_errors
    def recover_interrupted(self) -> list[int]:
        """Mark ``queued`` and ``running`` runs, and ``running`` sweeps, whose process is gone
        ``interrupted``; the run ids (see :mod:`storage.recovery` for which rows are checked).
        """
        return recovery.recover_interrupted(self._conn)

    @translate_errors
    def checkpoint_path(self, run_id: int) -> Path:
        """The run's resumable checkpoint folder; CheckpointMissingError if none or gone."""
        return recovery.checkpoint_path(self._conn, run_id)

    # ------------------------------------------------------ the app's queue
    @translate_errors
    def enqueue_run(self, **fields: Any) -> int:
        """Record a new run ``waiting`` at the end of the queue (same fields as
        :meth:`create_run`, without status); its id."""
        return queue.enqueue_run(self._conn, **fields)

    @translate_errors
    def enqueue_resume(self, run_id: int, status: str) -> bool:
        """Put a run that is ``status`` (stopped, failed, interrupted) at the end of the queue
        to resume; False, nothing changed, if its status is no longer ``status``."""
        return queue.enqueue_resume(self._conn, run_id, status)

    @translate_errors
    def waiting_runs(self) -> list[dict[str, Any]]:
        """The waiting runs in the order they start: run dicts with ``position`` (1 first) and
        ``resume`` (whether it continues from its checkpoint)."""
        return queue.waiting_runs(self._conn)

    @translate_errors
    def take_waiting(self, run_id: int) -> dict[str, Any] | None:
        """Take a waiting run out of the queue to start it in this process: it becomes
        ``queued`` (being set up here). {resume, restore}, or None if it was not waiting (another
        app took or cancelled it first)."""
        return queue.take_waiting(self._conn, run_id)

    @translate_errors
    def cancel_waiting(self, run_id: int) -> bool:
        """Take a run out of the queue before it starts. A new run is deleted (it holds
        nothing yet) and True returned; a queued resume goes back to how it was, False returned.
        NotWaitingError when the run is not waiting."""
        return queue.cancel_waiting(self._conn, run_id)

    @translate_errors
    def move_up(self, run_id: int) -> int:
        """Swap a waiting run with the one before it; its new position (1 first).
        NotWaitingError when the run is not waiting."""
        return queue.move_up(self._conn, run_id)

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
        kind: str = "sweep",
    ) -> int:
        """Record a new group of runs, ``running`` in process ``pid`` (default: this one); its id.

        ``kind`` is ``sweep`` (a grid of settings) or ``fewshot`` (a learning-curve
        experiment). ``grid`` holds the values varied (e.g. ``{"num_virtual_tokens": [10, 20],
        "lr": [...]}``), ``config`` the settings shared by its runs. InvalidNameError for an
        empty name.
        """
        return groups.create_sweep(
            self._conn, name=name, method=method, dataset=dataset, grid=grid, config=config,
            pid=pid, kind=kind,
        )  # fmt: skip

    @translate_errors
    def finish_sweep(self, sweep_id: int, status: str, *, error: str | None = None) -> None:
        """End a sweep with a final status and an optional error; finished_at now."""
        groups.finish_sweep(self._conn, sweep_id, status, error=error)

    @translate_errors
    def reopen_sweep(self, sweep_id: int) -> None:
        """Mark a finished group of runs ``running`` again, in this process, to run the rest.

        GroupStateError while it is running (in this or another live process).
        """
        groups.reopen_sweep(self._conn, sweep_id)

    @translate_errors
    def get_sweep(self, sweep_id: int) -> dict[str, Any]:
        """The sweep as a dict (grid and config decoded); SweepNotFoundError if absent."""
        return groups.get_sweep(self._conn, sweep_id)

    @translate_errors
    def list_sweeps(
        self, *, status: str | None = None, limit: int | None = None, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Groups of runs, newest first (optionally only those with a status, or of a kind)."""
        return groups.list_sweeps(self._conn, status=status, limit=limit, kind=kind)

    @translate_errors
    def delete_sweep(self, sweep_id: int, *, delete_runs: bool = False) -> list[int]:
        """Remove a sweep's record; the ids of the runs deleted with it.

        Its runs stay as ordinary runs (no longer grouped) unless ``delete_runs``, which
        deletes them as :meth:`delete_run` does. A sweep still running cannot be deleted
        (GroupStateError).
        """
        return groups.delete_sweep(self._conn, sweep_id, delete_runs=delete_runs)

    # -------------------------------------------------------------- adapters
    @translate_errors
    def save_adapter(
        self, run_id: int, folder: Path, *, kind: str, checkpoint_path: Path | None = None
    ) -> dict[str, Any]:
        """Store every file under ``folder`` for the run; {size, sha256, files: {path: sha256}}."""
        return adapters.save_adapter(self._conn, run_id, Path(folder), kind, checkpoint_path)

    @translate_errors
    def load_adapter(self, run_id: int, dest: Path) -> Path:
        """Write the run's adapter files into ``dest`` (created), checking each sha256."""
        return adapters.load_adapter(self._conn, run_id, Path(dest))

    @translate_errors
    def adapter_info(self, run_id: int) -> dict[str, Any]:
        """The adapter row plus ``files`` {path: sha256}; AdapterNotFoundError if none."""
        return adapters.adapter_info(self._conn, run_id)

    # -------------------------------------------------------------- archives
    @translate_errors
    def export_run(self, run_id: int, zip_path: Path) -> Path:
        """Write the run (adapter, run.json, metrics.csv, README.md) to a zip file."""
        return archive.export_run(self._conn, run_id, Path(zip_path))

    @translate_errors
    def import_run(self, zip_path: Path) -> int:
        """Add a run exported by :meth:`export_run` (all checks first); its new id."""
        return archive.import_run(self._conn, Path(zip_path))
