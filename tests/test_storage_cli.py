"""``python -m storage``: list, show, export, import, delete, one-line errors, and files that
are no PTune Studio database left exactly as they were."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import new_run
from sqlite_utils import Database

from storage import Store
from storage.schema import migrations

ROOT = Path(__file__).resolve().parents[1]  # the project folder


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "storage", *args], cwd=ROOT, capture_output=True, text=True
    )


@pytest.mark.train
def test_cli_list_show_export_import_delete(tmp_path):
    db = str(tmp_path / "studio.db")
    with Store(db) as store:
        run_id = new_run(store, name="cli run")
        store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.875})

    listed = cli("list", "--db", db)
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["id", "name", "method", "status", "accuracy", "created"]
    assert "cli run" in row and "0.8750" in row and "succeeded" in row

    shown = cli("show", str(run_id), "--db", db)
    assert json.loads(shown.stdout)["name"] == "cli run"

    zip_path = tmp_path / "run.zip"
    assert cli("export", str(run_id), str(zip_path), "--db", db).returncode == 0
    imported = cli("import", str(zip_path), "--db", db)
    new_id = int(imported.stdout.strip())
    assert new_id != run_id

    assert cli("delete", str(run_id), "--db", db).returncode == 0
    with Store(db) as store:
        assert [r["id"] for r in store.list_runs()] == [new_id]


@pytest.mark.train
def test_cli_error_is_one_line_and_exit_2(tmp_path):
    db = str(tmp_path / "studio.db")
    Store(db).close()
    for args in (["show", "42", "--db", db], ["delete", "42", "--db", db]):
        result = cli(*args)
        assert result.returncode == 2
        assert result.stderr.startswith("error: ") and "42" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    missing = cli("list", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 2 and "no database" in missing.stderr


def test_storage_imports_no_torch_gradio_or_core():
    code = (
        "import sys, storage, storage.__main__\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'gradio', 'core')]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# ----------------------------------------------------------------------------- not our file
def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _run_all(path: Path, commands: list[list[str]], tmp_path: Path, capsys) -> list[str]:
    """Each command on ``path`` in this process; its one-line error (each must refuse)."""
    from storage.__main__ import main

    errors = []
    for command in commands:
        assert main([*command, "--db", str(path)]) == 2, command
        err = capsys.readouterr().err
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        errors.append(err)
    assert not (tmp_path / "out.zip").exists()
    return errors


def _commands(tmp_path: Path, archive: Path | None = None) -> list[list[str]]:
    """list, show, export, delete (and import, given an archive) of run 1."""
    out = str(tmp_path / "out.zip")
    commands = [["list"], ["show", "1"], ["export", "1", out], ["delete", "1"]]
    return commands + ([["import", str(archive)]] if archive else [])


def _archive(tmp_path: Path) -> Path:
    """A real run export, so that import fails only because of the database."""
    with Store(tmp_path / "ours.db") as ours:
        return ours.export_run(new_run(ours), tmp_path / "run.zip")


def _untouched(path: Path, before: tuple[bytes, int]) -> None:
    assert _snapshot(path) == before
    siblings = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    assert siblings == [path.name], siblings  # no -wal, -shm or -journal left beside it


def test_an_empty_file_is_no_database_and_is_left_as_it_is(tmp_path, capsys):
    path = tmp_path / "empty.db"
    path.touch()
    before = _snapshot(path)
    for err in _run_all(path, _commands(tmp_path), tmp_path, capsys):
        assert f"{path} is an empty file (0 bytes), not a PTune Studio database yet" in err
        assert "check the path, or choose another database with --db" in err
    _untouched(path, before)


def test_a_database_of_another_program_is_refused_by_every_command(tmp_path, capsys):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = _snapshot(path)
    for err in _run_all(path, _commands(tmp_path, _archive(tmp_path)), tmp_path, capsys):
        assert "is a SQLite database of another program (tables: notes)" in err
        assert "not a PTune Studio database; PTune Studio leaves it as it is" in err
    _untouched(path, before)


def test_a_text_file_is_named_as_such_and_left_as_it_is(tmp_path, capsys):
    path = tmp_path / "notes.db"
    path.write_text("shopping: milk, bread\n", encoding="utf-8")
    before = _snapshot(path)
    for err in _run_all(path, _commands(tmp_path, _archive(tmp_path)), tmp_path, capsys):
        assert "is a text file (it begins 'shopping: milk, bread'), not a SQLite database" in err
    _untouched(path, before)


def test_read_commands_never_create_a_database(tmp_path, capsys):
    from storage.__main__ import main

    path = tmp_path / "nowhere" / "studio.db"
    for command in (["list"], ["show", "1"], ["delete", "1"]):
        assert main([*command, "--db", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"there is no database at {path} (no such file)" in err
    assert not path.parent.exists()
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    assert main(["list", "--db", str(folder)]) == 2
    assert "is a folder, not a database file" in capsys.readouterr().err


def test_reading_an_older_database_leaves_its_schema_as_it_is(tmp_path, capsys):
    from storage.__main__ import main

    path = tmp_path / "studio.db"
    old = Database(path)
    migrations.apply(old, stop_before="m003_sweeps")
    old["runs"].insert(
        {"name": "from v2", "method": "lora", "base_model": "b", "dataset": "d",
         "status": "succeeded", "config": "{}", "created_at": "2024-01-01T00:00:00+00:00"}
    )  # fmt: skip
    old.close()
    before = _snapshot(path)
    assert main(["list", "--db", str(path)]) == 0
    assert "from v2" in capsys.readouterr().out
    assert main(["show", "1", "--db", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "from v2"
    _untouched(path, before)
    assert main(["delete", "1", "--db", str(path)]) == 0  # a writing command upgrades it
    assert "m003_sweeps" in [m.name for m in migrations.applied(Database(path))]


def test_a_sqlite_file_without_tables_is_no_database_yet(tmp_path, capsys):
    path = tmp_path / "blank.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")  # a valid SQLite file with no tables at all
    conn.close()
    before = _snapshot(path)
    for err in _run_all(path, _commands(tmp_path), tmp_path, capsys):
        assert f"{path} is an empty SQLite database with no PTune Studio tables yet" in err
    _untouched(path, before)
