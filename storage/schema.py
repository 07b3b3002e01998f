"""The schema as ordered migrations (sqlite-utils ``Migrations``) and the checks made on open.

Each migration is applied once, inside a transaction together with its record in the
``_sqlite_migrations`` table (migration set ``ptune_studio``), so an older database is brought
up to date when a newer PTune Studio opens it. Never edit a released migration: add a new one.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .errors import CorruptDatabaseError, ForeignDatabaseError, NoDatabaseError

MIGRATION_SET = "ptune_studio"
SQLITE_MAGIC = b"SQLite format 3\x00"
OUR_TABLES = ("runs", "metrics", "adapters", "adapter_files", "sweeps", "queue")

migrations = Migrations(MIGRATION_SET)


V1_STATEMENTS = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        method TEXT NOT NULL,
        base_model TEXT NOT NULL,
        dataset TEXT NOT NULL,
        status TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '{}',
        label_names TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        error TEXT,
        metrics TEXT,
        trainable_params INTEGER,
        total_params INTEGER,
        pid INTEGER,
        hostname TEXT
    )""",
    "CREATE INDEX runs_created_at ON runs(created_at)",
    """CREATE TABLE metrics (
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        step INTEGER NOT NULL,
        epoch REAL,
        time REAL,
        split TEXT NOT NULL,
        name TEXT NOT NULL,
        value REAL
    )""",
    "CREATE INDEX metrics_run_id_step ON metrics(run_id, step)",
    """CREATE TABLE adapters (
        run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        checkpoint_path TEXT
    )""",
    """CREATE TABLE adapter_files (
        run_id INTEGER NOT NULL REFERENCES adapters(run_id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        content BLOB NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (run_id, path)
    )""",
)


@migrations()
def m001_initial(db: Database) -> None:
    """Version 1: runs, their metric rows and their adapters (files as blobs)."""
    for statement in V1_STATEMENTS:
        db.execute(statement)


@migrations()
def m002_sweeps_and_resume(db: Database) -> None:
    """Version 2: group runs into sweeps, link a resumed run to its origin, record checkpoints."""
    db.execute("ALTER TABLE runs ADD COLUMN sweep_id TEXT")
    db.execute(
        "ALTER TABLE runs ADD COLUMN resumed_from INTEGER REFERENCES runs(id) ON DELETE SET NULL"
    )
    db.execute("ALTER TABLE runs ADD COLUMN checkpoint_path TEXT")
    db.execute("CREATE INDEX runs_sweep_id ON runs(sweep_id)")
    db.execute("CREATE INDEX runs_status ON runs(status)")


@migrations()
def m003_sweeps(db: Database) -> None:
    """Version 3: a record of each sweep; its runs point to it through ``runs.sweep_id``."""
    db.execute(
        """CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            method TEXT NOT NULL,
            dataset TEXT NOT NULL,
            grid TEXT NOT NULL DEFAULT '{}',
            config TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL,
            created_at TEXT NOT NULL,
            finished_at TEXT,
            error TEXT,
            pid INTEGER,
            hostname TEXT
        )"""
    )
    db.execute("CREATE INDEX sweeps_created_at ON sweeps(created_at)")


@migrations()
def m004_queue(db: Database) -> None:
    """Version 4: the app's run queue, one row per ``waiting`` run in the order they start."""
    db.execute(
        """CREATE TABLE queue (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            resume INTEGER NOT NULL DEFAULT 0,
            restore TEXT,
            queued_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX queue_position ON queue(position)")


@migrations()
def m005_group_kinds(db: Database) -> None:
    """Version 5: a group of runs is a sweep or a few-shot experiment (``sweeps.kind``)."""
    db.execute("ALTER TABLE sweeps ADD COLUMN kind TEXT NOT NULL DEFAULT 'sweep'")
    db.execute("CREATE INDEX sweeps_kind ON sweeps(kind)")


def migration_names() -> list[str]:
    """Names of every migration, oldest first."""
    with Database(memory=True) as empty:
        return [m.name for m in migrations.pending(empty)]


CHOOSE_ANOTHER = "check the path, or choose another database with --db or PTUNE_HOME"


def check_exists(path: Path) -> None:
    """NoDatabaseError unless ``path`` is a file with something in it (nothing is created)."""
    if path.is_dir():
        raise NoDatabaseError(f"{path} is a folder, not a database file; {CHOOSE_ANOTHER}")
    if not path.exists():
        raise NoDatabaseError(
            f"there is no database at {path} (no such file); {CHOOSE_ANOTHER} - a database is "
            "created when the app or a training with --db first uses it"
        )
    if path.stat().st_size == 0:
        raise NoDatabaseError(
            f"{path} is an empty file (0 bytes), not a PTune Studio database yet, so it holds "
            f"no runs; {CHOOSE_ANOTHER} (it was left as it is)"
        )


def no_tables_message(path: Path | str) -> str:
    """What to say about a SQLite file with no tables at all when none may be created."""
    return (
        f"{path} is an empty SQLite database with no PTune Studio tables yet, so it holds no "
        f"runs; {CHOOSE_ANOTHER} (it was left as it is)"
    )


def _as_text(head: bytes) -> str | None:
    """The file's first bytes as text when they are printable UTF-8 (a cut last character is
    fine), else None."""
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return None
    return text if all(ch.isprintable() or ch in "\t\r\n" for ch in text) else None


def check_header(path: Path) -> None:
    """CorruptDatabaseError if ``path`` exists, is not empty and is not a SQLite file."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.startswith(SQLITE_MAGIC):
        return
    text = _as_text(head)
    if text is not None:
        start = " ".join(text[:40].split())
        raise CorruptDatabaseError(
            f"{path} is a text file (it begins {start!r}), not a SQLite database; it was left "
            f"as it is - {CHOOSE_ANOTHER}"
        )
    raise CorruptDatabaseError(
        f"{path} is not a SQLite database (it may be damaged, or another kind of file); it was "
        f"left as it is - move it away, or {CHOOSE_ANOTHER}"
    )


def check_ownership(db: Database, path: str) -> bool:
    """Whether the database already holds our schema; ForeignDatabaseError if it is another's.

    An empty database is ours to initialise; one with tables but no record of our migrations
    belongs to another program and is never changed.
    """
    tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
    if not tables:
        return False
    if any(m.name for m in migrations.applied(db)):
        return True
    raise ForeignDatabaseError(
        f"{path} is a SQLite database of another program (tables: {', '.join(tables[:5])}), "
        "not a PTune Studio database; PTune Studio leaves it as it is and will not add its "
        f"tables to it - {CHOOSE_ANOTHER}"
    )


def check_integrity(db: Database, path: str) -> None:
    """CorruptDatabaseError unless ``PRAGMA integrity_check`` reports ok."""
    rows = db.execute("PRAGMA integrity_check(3)").fetchall()
    if [r[0] for r in rows] != ["ok"]:
        lines = [line for r in rows for line in str(r[0]).splitlines() if "***" not in line]
        detail = "; ".join(lines)[:200]
        raise CorruptDatabaseError(
            f"the database {path} failed its integrity check ({detail}); restore it from a "
            f"backup, or recover what is left with `sqlite3 {path} .recover | sqlite3 new.db`"
        )


def pending(db: Database) -> list[str]:
    """Names of the migrations the database still lacks (none when it is current)."""
    return [m.name for m in migrations.pending(db)]


def migrate(db: Database) -> list[str]:
    """Apply pending migrations in one write transaction; the names applied (none if current)."""
    pending = [m.name for m in migrations.pending(db)]
    if not pending:
        return []
    db.execute("BEGIN IMMEDIATE")  # one process at a time; a second waits, then finds none pending
    try:
        pending = [m.name for m in migrations.pending(db)]
        migrations.apply(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise
    return pending
