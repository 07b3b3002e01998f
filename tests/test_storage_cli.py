"""``python -m storage``: list, show, export, import, delete, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import new_run

from storage import Store

ROOT = Path(__file__).resolve().parents[1]  # the project folder


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "storage", *args], cwd=ROOT, capture_output=True, text=True
    )


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
