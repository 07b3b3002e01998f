"""Storage layer: threads, runs, metrics, adapters, checkpoints, recovery."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading

import pytest
from conftest import make_adapter, new_run, table_counts

from storage import (
    AdapterNotFoundError,
    CheckpointMissingError,
    RunNotFoundError,
    Store,
)


# ------------------------------------------------------------------- threads
def test_each_thread_has_its_own_connection(store):
    seen: dict[str, object] = {}

    def worker() -> None:
        seen["db"] = store.db
        run_id = new_run(store, name="from thread")
        store.append_metrics(run_id, [{"step": 1, "epoch": 0.1, "split": "train", "name": "loss",
                                       "value": 0.5}])  # fmt: skip
        seen["id"] = run_id

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen["db"] is not store.db
    assert store.get_run(seen["id"])["name"] == "from thread"
    assert store.read_metrics(seen["id"])[0]["value"] == 0.5


def test_concurrent_writers_wait_for_each_other(store):
    run_id = new_run(store)
    errors: list[BaseException] = []

    def writer(split: str) -> None:
        try:
            for step in range(30):
                row = {"step": step, "epoch": 0.0, "split": split, "name": "loss", "value": 1.0}
                store.append_metrics(run_id, [row])
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(s,)) for s in ("train", "eval", "x")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(store.read_metrics(run_id)) == 90


# ---------------------------------------------------------------------- runs
def test_create_get_list_rename(store):
    first = new_run(store, name="first", label_names=["neg", "pos"], sweep_id="sw")
    second = new_run(store, name="second", status="running")
    run = store.get_run(first)
    assert run["config"] == {"lr": 1} and run["label_names"] == ["neg", "pos"]
    assert run["status"] == "queued" and run["created_at"].endswith("+00:00")
    assert [r["id"] for r in store.list_runs()] == [second, first]
    assert [r["id"] for r in store.list_runs(status="running")] == [second]
    assert [r["id"] for r in store.list_runs(sweep_id="sw")] == [first]
    assert len(store.list_runs(limit=1)) == 1
    store.rename_run(first, "renamed")
    assert store.get_run(first)["name"] == "renamed"
    with pytest.raises(RunNotFoundError):
        store.get_run(999)


def test_start_update_finish(store):
    run_id = new_run(store)
    store.start_run(run_id)
    run = store.get_run(run_id)
    assert run["status"] == "running" and run["pid"] == os.getpid()
    assert run["hostname"] == socket.gethostname() and run["started_at"]
    store.update_run(run_id, trainable_params=10, total_params=100, config={"lr": 2})
    store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.9})
    run = store.get_run(run_id)
    assert (run["trainable_params"], run["config"]) == (10, {"lr": 2})
    assert run["status"] == "succeeded" and run["metrics"] == {"eval_accuracy": 0.9}
    assert run["finished_at"] >= run["started_at"]
    with pytest.raises(ValueError, match="unknown run field"):
        store.update_run(run_id, colour="red")
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run_id, "done")
    with pytest.raises(RunNotFoundError):
        store.update_run(999, name="x")


def test_delete_removes_metrics_adapter_and_checkpoint(store, tmp_path):
    run_id, other = new_run(store), new_run(store)
    store.append_metrics(run_id, [{"step": 1, "epoch": 1.0, "split": "eval", "name": "acc",
                                   "value": 0.8}])  # fmt: skip
    checkpoint = store.checkpoint_dir(run_id)
    (checkpoint / "checkpoint").mkdir(parents=True)  # as a run writes it
    (checkpoint / "checkpoint" / "ptune_checkpoint.json").write_text("{}", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    store.save_adapter(run_id, make_adapter(tmp_path / "ad"), kind="lora", checkpoint_path=outside)
    store.delete_run(run_id)
    assert not checkpoint.exists() and outside.exists()
    assert table_counts(store.path) == {"runs": 1, "metrics": 0, "adapters": 0, "adapter_files": 0}
    store.delete_run(other)  # no checkpoint folder at all is fine
    with pytest.raises(RunNotFoundError):
        store.delete_run(run_id)


# ------------------------------------------------------------------- metrics
def test_append_and_read_metrics_since_step(store):
    run_id = new_run(store)
    assert store.last_step(run_id) == -1
    rows = [
        {"step": s, "epoch": s / 10, "split": split, "name": "loss", "value": 1 / (s + 1)}
        for s in range(10)
        for split in ("train", "eval")
    ]
    assert store.append_metrics(run_id, rows) == 20
    assert store.last_step(run_id) == 9
    later = store.read_metrics(run_id, since_step=6)
    assert [r["step"] for r in later] == [7, 7, 8, 8, 9, 9]
    evals = store.read_metrics(run_id, since_step=6, split="eval")
    assert [r["step"] for r in evals] == [7, 8, 9] and evals[0]["time"] > 0
    with pytest.raises(ValueError, match="lacks"):
        store.append_metrics(run_id, [{"step": 1}])
    with pytest.raises(RunNotFoundError):
        store.append_metrics(999, rows)


# ------------------------------------------------------------------ adapters
def test_adapter_round_trip_is_byte_identical(store, tmp_path):
    run_id = new_run(store)
    source = make_adapter(tmp_path / "adapter")
    info = store.save_adapter(run_id, source, kind="lora")
    assert set(info["files"]) == {
        "adapter_model.safetensors", "adapter_config.json", "nested/deeper/head.bin"
    }  # fmt: skip
    assert info["size"] == sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    (source / "adapter_config.json").write_text('{"r": 16}')
    store.save_adapter(run_id, source, kind="lora")  # replaces the earlier one
    dest = store.load_adapter(run_id, tmp_path / "out" / "adapter")
    for path in source.rglob("*"):
        if path.is_file():
            assert (dest / path.relative_to(source)).read_bytes() == path.read_bytes()
    assert table_counts(store.path)["adapter_files"] == 3


def test_load_adapter_without_one_is_an_error(store, tmp_path):
    with pytest.raises(AdapterNotFoundError):
        store.load_adapter(new_run(store), tmp_path / "x")


def test_checkpoint_path(store, tmp_path):
    run_id = new_run(store)
    with pytest.raises(CheckpointMissingError, match="start the run again"):
        store.checkpoint_path(run_id)
    store.checkpoint_dir(run_id).mkdir(parents=True)
    assert store.checkpoint_path(run_id) == store.checkpoint_dir(run_id)
    store.update_run(run_id, checkpoint_path=tmp_path / "gone")
    with pytest.raises(CheckpointMissingError, match="gone"):
        store.checkpoint_path(run_id)


# ------------------------------------------------------------------ recovery
def test_recover_interrupted(tmp_path):
    path = tmp_path / "studio.db"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with Store(path) as store:
        dead, alive, remote = new_run(store), new_run(store), new_run(store)
        store.start_run(dead, pid=child.pid)
        store.start_run(alive)
        store.start_run(remote, pid=child.pid)
        store.update_run(remote, hostname="another-machine")
    with Store(path) as store:  # opening recovers
        run = store.get_run(dead)
        assert run["status"] == "interrupted" and "ended unexpectedly" in run["error"]
        assert run["finished_at"]
        assert store.get_run(alive)["status"] == "running"
        assert store.get_run(remote)["status"] == "running"
        assert store.recover_interrupted() == []
