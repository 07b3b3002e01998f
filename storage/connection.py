"""Where the database lives, one sqlite connection per thread, and write transactions.

The lowest storage layer: the table modules (:mod:`storage.runs`, :mod:`storage.metrics`,
:mod:`storage.groups`, :mod:`storage.queue`, :mod:`storage.adapters`) work over a
:class:`Connections`, the archive over those, and :class:`storage.store.Store` composes them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from sqlite_utils import Database

from . import schema
from .errors import NoDatabaseError, RunNotFoundError, StorageError, SweepNotFoundError
from .util import storage_error

MEMORY = ":memory:"


def default_home() -> Path:
    """``$PTUNE_HOME`` when set, else ``~/.ptune-studio``."""
    env = os.environ.get("PTUNE_HOME")
    return Path(env).expanduser() if env else Path.home() / ".ptune-studio"


def default_db_path() -> Path:
    """The database used when none is named: ``<home>/studio.db``."""
    return default_home() / "studio.db"


def insert_row(db: Database, table: str, row: dict[str, Any]) -> int:
    """Insert ``row`` into ``table`` (a write transaction must be open); the new row's id."""
    return int(cast(int, db.table(table).insert(row).last_pk))  # SQLite ids every new row


class Connections:
    """Opens and checks the database; ``db`` is this thread's own ``sqlite_utils.Database``.

    A sqlite3 connection belongs to the thread that opened it, so each thread (the training
    thread, every UI handler thread) gets its own connection to the same file; the object itself
    is shared. ``":memory:"`` uses one shared connection, guarded by a lock, for tests.

    ``create=False`` opens only a file that already holds a PTune Studio database (a missing
    or empty file is :class:`NoDatabaseError`, and is not created); ``upgrade=False`` (which
    implies ``create=False``) also leaves an older database's schema as it stands, to be read
    as it is, and its journal mode alone: what the read-only commands use.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        timeout: float = 5.0,
        create: bool = True,
        upgrade: bool = True,
    ) -> None:
        self.memory = str(path) == MEMORY
        self.path: Path | str = MEMORY if self.memory else Path(path or default_db_path())
        self.timeout = timeout
        self.create = (create and upgrade) or self.memory
        self.upgrade = upgrade
        self.current = True  # whether the schema is up to date (set on open)
        self._local = threading.local()
        self._lock = threading.RLock()
        self._shared: Database | None = None
        self._open_dbs: weakref.WeakSet[Database] = weakref.WeakSet()
        self._closed = False
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        if isinstance(self.path, Path):
            self.path = self.path.expanduser().absolute()
            if self.create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            else:
                schema.check_exists(self.path)
            schema.check_header(self.path)
        try:
            db = self.db
            if schema.check_ownership(db, str(self.path)):
                schema.check_integrity(db, str(self.path))
            elif not self.create:
                raise NoDatabaseError(schema.no_tables_message(self.path))
            if not self.upgrade:
                self.current = not schema.pending(db)
                return
            if not self.memory:
                db.enable_wal()
            with self._lock:
                schema.migrate(db)
        except sqlite3.DatabaseError as error:
            raise storage_error(error, str(self.path)) from error

    @property
    def home(self) -> Path:
        """The folder holding the database file (a private, unused temp path for ':memory:')."""
        if isinstance(self.path, Path):
            return self.path.parent
        return Path(tempfile.gettempdir()) / f"ptune-memory-{os.getpid()}-{id(self)}"

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (the store can no longer be used)."""
        return self._closed

    @property
    def db(self) -> Database:
        """This thread's connection, opened on first use."""
        if self._closed:
            raise StorageError(f"the store for {self.path} is closed; open a new Store")
        if self.memory:
            if self._shared is None:
                self._shared = self._connect()
            return self._shared
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
        return db

    def _connect(self) -> Database:
        # Without ``create``, a file removed since the checks is not made again (mode=rw).
        target, uri = str(self.path), False
        if not self.create and isinstance(self.path, Path):
            target, uri = f"{self.path.as_uri()}?mode=rw", True
        conn = sqlite3.connect(
            target, timeout=self.timeout, isolation_level=None, check_same_thread=False, uri=uri
        )
        db = Database(conn, execute_plugins=False)
        db.execute("PRAGMA foreign_keys = ON")
        if not self.memory:
            db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster commits
        self._open_dbs.add(db)
        return db

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """A write transaction (``BEGIN IMMEDIATE``: waits for other writers up to the timeout).

        Nested use becomes a savepoint via sqlite-utils' ``db.atomic()``.
        """
        db = self.db
        lock = self._lock if self.memory else contextlib.nullcontext()
        with lock:
            if db.conn.in_transaction:
                with db.atomic():
                    yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.rollback()
                raise
            try:
                db.execute("COMMIT")
            except BaseException:
                db.rollback()
                raise

    def require_run(self, run_id: int) -> None:
        """Nothing if run ``run_id`` is recorded; RunNotFoundError otherwise."""
        if self.db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
            raise self.run_not_found(run_id)

    def run_not_found(self, run_id: int) -> RunNotFoundError:
        """The error for a run id that is not recorded in this database."""
        return RunNotFoundError(
            f"no run with id {run_id} in {self.path}; list the runs with `python -m storage list`"
        )

    def sweep_not_found(self, sweep_id: int) -> SweepNotFoundError:
        """The error for a sweep (or few-shot experiment) id that is not recorded here."""
        return SweepNotFoundError(
            f"no sweep with id {sweep_id} in {self.path}; the app's Sweep tab lists the "
            "recorded ones"
        )

    def close(self) -> None:
        """Close every connection this store opened (in any thread)."""
        self._closed = True
        for db in list(self._open_dbs):
            with contextlib.suppress(sqlite3.Error):
                db.close()
        self._shared = None

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"
