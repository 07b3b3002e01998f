"""Storage errors say whose fault they are: a person's mistake is a StorageError, a bug is not."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from conftest import new_run

from storage.errors import (
    GroupStateError,
    InvalidNameError,
    RunNotFoundError,
    StorageError,
    UnsafePathError,
)

PERSONS_MISTAKES = [InvalidNameError, GroupStateError, UnsafePathError]


@pytest.mark.parametrize("cls", PERSONS_MISTAKES)
def test_a_persons_mistake_is_a_storage_error_and_no_value_error(cls):
    assert issubclass(cls, StorageError)
    assert not issubclass(cls, ValueError)
    assert cls.__doc__ and len(cls.__doc__.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_run_name_is_refused_and_the_old_name_kept(store, name):
    run_id = new_run(store, name="kept")
    with pytest.raises(InvalidNameError, match="^a run name cannot be empty$"):
        store.rename_run(run_id, name)
    assert store.get_run(run_id)["name"] == "kept"


def test_renaming_a_missing_run_is_still_run_not_found(store):
    with pytest.raises(RunNotFoundError, match="no run with id 42"):
        store.rename_run(42, "new")


@pytest.mark.parametrize("kind", ["sweep", "fewshot"])
def test_an_empty_group_name_is_refused_and_nothing_recorded(store, kind):
    with pytest.raises(InvalidNameError, match="^a sweep name cannot be empty$"):
        store.create_sweep(name=" ", method="lora", dataset="d", grid={}, config={}, kind=kind)
    assert store.list_sweeps() == []


def test_a_running_group_can_be_neither_resumed_nor_deleted(store):
    group = store.create_sweep(
        name="curve", method="lora", dataset="d", grid={}, config={}, kind="fewshot"
    )
    resumed = rf"^curve \(#{group}\) is still running; it cannot be resumed until it ends$"
    with pytest.raises(GroupStateError, match=resumed):
        store.reopen_sweep(group)
    deleted = (
        rf"^cannot delete sweep {group} \(curve\) while it is still running; stop it "
        r"first, then delete it$"
    )
    with pytest.raises(GroupStateError, match=deleted):
        store.delete_sweep(group)
    assert store.get_sweep(group)["status"] == "running"
    store.finish_sweep(group, "stopped")
    store.reopen_sweep(group)  # once it has ended it can be resumed
    assert store.get_sweep(group)["status"] == "running"


def _archive_with_adapter_file(path: Path, member: str) -> Path:
    """A run export whose adapter holds one file at ``member`` (inside ``adapter/``)."""
    data = b"weights"
    document = {
        "format": "ptune-studio-run",
        "format_version": 1,
        "run": {"name": "r", "method": "lora", "base_model": "m", "dataset": "d",
                "status": "succeeded", "config": {}},
        "adapter": {"kind": "lora"},
        "manifest": {member: hashlib.sha256(data).hexdigest()},
    }  # fmt: skip
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("run-1/run.json", json.dumps(document))
        zf.writestr(f"run-1/adapter/{member}", data)
    return path


def test_an_imported_adapter_path_that_leaves_its_folder_is_refused_on_load(store, tmp_path):
    run_id = store.import_run(_archive_with_adapter_file(tmp_path / "run.zip", "C:/evil.bin"))
    dest = tmp_path / "loaded"
    refused = (
        r"^unsafe file path 'C:/evil.bin' in a stored adapter \(it would be written "
        r"outside its folder\); import the run again from an export you trust$"
    )
    with pytest.raises(UnsafePathError, match=refused):
        store.load_adapter(run_id, dest)
    assert not dest.exists()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, r: s.update_run(r, colour="red"), "unknown run field.*colour"),
        (lambda s, r: s.update_run(r, status="sleeping"), "unknown run status 'sleeping'"),
        (lambda s, r: s.finish_run(r, "running"), "unknown run status 'running'"),
        (lambda s, r: s.append_metrics(r, [{"step": 1, "name": "loss"}]), "row 0 lacks value"),
        (
            lambda s, r: s.create_sweep(
                name="g", method="m", dataset="d", grid={}, config={}, kind="grid"
            ),
            "unknown kind 'grid'",
        ),
    ],
    ids=["unknown-column", "unknown-status", "unfinished-status", "metric-row", "sweep-kind"],
)
def test_a_programming_error_stays_a_plain_value_error(store, call, message):
    run_id = new_run(store)
    with pytest.raises(ValueError, match=message) as caught:
        call(store, run_id)
    assert not isinstance(caught.value, StorageError)


def test_an_unknown_final_sweep_status_stays_a_plain_value_error(store):
    group = store.create_sweep(name="g", method="m", dataset="d", grid={}, config={})
    with pytest.raises(ValueError, match="unknown final sweep status 'done'") as caught:
        store.finish_sweep(group, "done")
    assert not isinstance(caught.value, StorageError)


def test_the_app_still_reads_the_resume_refusal_in_chinese(store):
    from app.shared.errors import plain

    group = store.create_sweep(
        name="Curve", method="lora", dataset="d", grid={}, config={}, kind="fewshot"
    )
    with pytest.raises(GroupStateError) as caught:
        store.reopen_sweep(group)
    assert plain(caught.value, "zh") == f"Curve（#{group}）仍在运行；结束前无法继续"


@pytest.mark.parametrize(
    ("call", "chinese"),
    [
        (lambda s, r, g: s.rename_run(r, "  "), "运行名称不能为空"),
        (lambda s, r, g: s.create_sweep(name="", method="m", dataset="d", grid={}, config={}),
         "扫描名称不能为空"),
        (lambda s, r, g: s.delete_sweep(g), "扫描 {g}（g）仍在运行，无法删除；请先停止，再删除"),
    ],
    ids=["run-name", "sweep-name", "delete-running"],
)  # fmt: skip
def test_a_persons_storage_mistake_reads_in_chinese(store, call, chinese):
    from app.shared.errors import plain

    group = store.create_sweep(name="g", method="m", dataset="d", grid={}, config={})
    with pytest.raises(StorageError) as caught:
        call(store, new_run(store), group)
    assert plain(caught.value, "zh") == chinese.format(g=group)
