"""Opening the database: migrations, WAL, and refusing corrupt, foreign or locked files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from conftest import new_run
from sqlite_utils import Database

from storage import CorruptDatabaseError, DatabaseLockedError, ForeignDatabaseError, Store
from storage.schema import MIGRATION_SET, migration_names, migrations


def test_migrations_create_schema_and_reopen_is_fine(tmp_path):
    path = tmp_path / "a" / "b" / "studio.db"
    with Store(path) as store:
        run_id = new_run(store)
        assert set(store.db.table_names()) >= {"runs", "metrics", "adapters", "adapter_files"}
    with Store(path) as again:
        assert again.get_run(run_id)["name"] == "run"
        applied = [m.name for m in migrations.applied(again.db)]
        assert applied == migration_names()
        assert applied == [
            "m001_initial",
            "m002_sweeps_and_resume",
            "m003_sweeps",
            "m004_queue",
            "m005_group_kinds",
        ]
        sets = again.db.execute("SELECT DISTINCT migration_set FROM _sqlite_migrations")
        assert [row[0] for row in sets] == [MIGRATION_SET]


def test_older_database_is_upgraded(tmp_path):
    path = tmp_path / "studio.db"
    old = Database(path)
    migrations.apply(old, stop_before="m002_sweeps_and_resume")
    old["runs"].insert(
        {"name": "v1", "method": "lora", "base_model": "b", "dataset": "d", "status": "succeeded",
         "config": "{}", "created_at": "2024-01-01T00:00:00+00:00"}
    )  # fmt: skip
    assert "sweep_id" not in old["runs"].columns_dict
    old.close()
    with Store(path) as store:
        assert {"sweep_id", "resumed_from", "checkpoint_path"} <= set(store.db["runs"].columns_dict)
        run = store.list_runs()[0]
        assert run["name"] == "v1" and run["sweep_id"] is None
        assert len(migrations.applied(store.db)) == len(migration_names())
        new_run(store, sweep_id="s1")
        assert len(store.list_runs(sweep_id="s1")) == 1


def test_wal_mode_is_on(store):
    assert store.db.journal_mode == "wal"


def test_default_path_follows_ptune_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PTUNE_HOME", str(tmp_path / "home"))
    with Store() as store:
        assert store.path == tmp_path / "home" / "studio.db"
        assert store.home == tmp_path / "home"
        assert store.checkpoint_dir(3) == tmp_path / "home" / "checkpoints" / "run-3"


def test_memory_store_works(tmp_path):
    with Store(":memory:") as store:
        run_id = new_run(store)
        assert store.get_run(run_id)["status"] == "queued"


def test_random_bytes_are_corrupt_and_left_untouched(tmp_path):
    path = tmp_path / "studio.db"
    data = os.urandom(8192)
    path.write_bytes(data)
    with pytest.raises(CorruptDatabaseError, match="not a SQLite database"):
        Store(path)
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["studio.db"]


def test_damaged_pages_are_corrupt(tmp_path):
    path = tmp_path / "studio.db"
    with Store(path) as store:
        for i in range(50):
            new_run(store, name=f"run {i}")
        page = store.db.execute("PRAGMA page_size").fetchone()[0]
        sql = "SELECT rootpage FROM sqlite_master WHERE name = 'runs_created_at'"  # an index
        root = store.db.execute(sql).fetchone()[0]
    data = bytearray(path.read_bytes())
    start = (root - 1) * page
    data[start + 8 : start + page] = bytes(page - 8)  # its cells now point nowhere
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabaseError, match="integrity check"):
        Store(path)
    data[4096:] = os.urandom(len(data) - 4096)  # every page but the first: unreadable
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptDatabaseError):
        Store(path)


def test_foreign_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE foo (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(ForeignDatabaseError, match="another program"):
        Store(path)
    assert path.read_bytes() == before
    assert Database(path).table_names() == ["foo"]


def _hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_locked_database_on_open(tmp_path):
    path = tmp_path / "studio.db"
    path.touch()  # a rollback-journal database: an exclusive lock blocks readers too
    other = _hold_exclusive_lock(path)
    try:
        with pytest.raises(DatabaseLockedError, match="locked"):
            Store(path, timeout=0.2)
    finally:
        other.close()


def test_locked_database_on_write(tmp_path):
    path = tmp_path / "studio.db"
    Store(path).close()
    other = _hold_exclusive_lock(path)
    try:
        with Store(path, timeout=0.2) as store, pytest.raises(DatabaseLockedError):
            new_run(store)
    finally:
        other.close()
