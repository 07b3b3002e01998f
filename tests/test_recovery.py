"""After a crash: runs and sweeps whose process died become ``interrupted`` on the next open,
whether they were still being set up (``queued``) or training, and live ones are left alone."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import psutil
import pytest
from conftest import new_run, train_config
from sqlite_utils import Database

from core import runs
from core.errors import CheckpointError, RunStateError
from core.training import jobs
from core.training.recording import check_resumable
from storage import Store
from storage.schema import migrations
from storage.store import INTERRUPTED_ERROR

ROOT = Path(__file__).resolve().parents[1]

# A process that records a sweep and one queued run in it, as a start does before its model
# is loaded, then waits to be killed (it is still "setting up").
SETTING_UP = """
import sys, time
from storage import Store
store = Store(sys.argv[1])
sweep = store.create_sweep(name="s", method="ptuning_v2", dataset="d", grid={}, config={})
run = store.create_run(name="r", method="ptuning_v2", base_model="b", dataset="d", config={},
                       sweep_id=sweep)
print(sweep, run, flush=True)
time.sleep(120)
"""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds")


def test_a_run_queued_by_a_process_that_dies_becomes_interrupted(tmp_path):
    path = tmp_path / "studio.db"
    Store(path).close()
    child = subprocess.Popen(
        [sys.executable, "-c", SETTING_UP, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        sweep_id, run_id = map(int, child.stdout.readline().split())
        with Store(path) as store:  # another process opens while it is still setting up
            assert store.get_run(run_id)["status"] == "queued"
            assert store.get_run(run_id)["pid"] == child.pid
            assert store.get_sweep(sweep_id)["status"] == "running"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(30)
    with Store(path) as store:  # the next open after the kill
        run = store.get_run(run_id)
        assert run["status"] == "interrupted" and run["error"] == INTERRUPTED_ERROR
        assert run["finished_at"]
        assert store.get_sweep(sweep_id)["status"] == "interrupted"
        assert store.recover_interrupted() == []


def test_a_pid_taken_over_by_a_later_process_does_not_keep_a_run_alive(tmp_path):
    # An app restarted in a container gets the same small pid again: the run its first life
    # was setting up must not look alive because of the second.
    path = tmp_path / "studio.db"
    before_this_process = _iso(psutil.Process().create_time() - 60)
    with Store(path) as store:
        old_queued, old_running, fresh = new_run(store), new_run(store), new_run(store)
        store.update_run(old_queued, created_at=before_this_process)
        store.start_run(old_running)
        store.update_run(old_running, started_at=before_this_process)
    with Store(path) as store:
        assert store.get_run(old_queued)["status"] == "interrupted"
        assert store.get_run(old_running)["status"] == "interrupted"
        assert store.get_run(fresh)["status"] == "queued"  # this live process recorded it


def test_old_queued_runs_that_noted_no_process_are_interrupted_on_open(tmp_path):
    path = tmp_path / "studio.db"
    old = Database(path)
    migrations.apply(old)  # a database of a version that noted no process on queued runs
    row = {"method": "lora", "base_model": "b", "dataset": "d", "config": "{}",
           "created_at": "2024-05-01T10:00:00.000+00:00"}  # fmt: skip
    old["runs"].insert({**row, "name": "stuck", "status": "queued"})
    old["runs"].insert({**row, "name": "done", "status": "succeeded"})
    old.close()
    with Store(path) as store:
        runs = {run["name"]: run for run in store.list_runs()}
        assert runs["stuck"]["status"] == "interrupted"
        assert runs["stuck"]["error"] == INTERRUPTED_ERROR
        assert runs["done"]["status"] == "succeeded" and runs["done"]["error"] is None


def test_runs_of_another_machine_are_left_alone(tmp_path):
    path = tmp_path / "studio.db"
    with Store(path) as store:
        remote = new_run(store)
        store.update_run(remote, hostname=f"not-{socket.gethostname()}", pid=2**22 + 1)
    with Store(path) as store:
        assert store.get_run(remote)["status"] == "queued"


def test_a_run_queued_again_to_resume_is_alive_in_its_new_process(tmp_path):
    path = tmp_path / "studio.db"
    with Store(path) as store:
        run_id = new_run(store, status="stopped")
        store.update_run(run_id, created_at=_iso(psutil.Process().create_time() - 60))
        assert store.queue_run(run_id, "interrupted") is False  # not what it is: unchanged
        assert store.get_run(run_id)["status"] == "stopped"
        assert store.queue_run(run_id, "stopped") is True
    with Store(path) as store:  # taken by this live process now, not when it was created
        run = store.get_run(run_id)
        assert run["status"] == "queued" and run["pid"] == os.getpid()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("queued", r"run 7 \(r\) is still being set up; wait for it to end, or stop it"),
        ("running", r"run 7 \(r\) is still training; wait for it to end, or stop it"),
        ("succeeded", r"run 7 \(r\) succeeded: it trained to its end, so there is nothing to"),
    ],
)
def test_only_an_ended_unfinished_run_can_resume(status, message):
    with pytest.raises(RunStateError, match=message):
        check_resumable({"id": 7, "name": "r", "status": status})
    for status in ("stopped", "interrupted", "failed"):
        check_resumable({"id": 7, "name": "r", "status": status})


def _stopped_run(store, tmp_path, reviews, tiny_model_dir) -> int:
    config = train_config(tmp_path, reviews, tiny_model_dir)
    return store.create_run(name="r", method=config.method, base_model=str(tiny_model_dir),
                            dataset=str(reviews), config=config.to_dict(),
                            status="stopped")  # fmt: skip


def test_a_checkpoint_folder_without_its_state_is_no_checkpoint(
    store, tmp_path, reviews, tiny_model_dir
):
    run_id = _stopped_run(store, tmp_path, reviews, tiny_model_dir)
    store.checkpoint_dir(run_id).mkdir(parents=True)  # killed before its first checkpoint
    with pytest.raises(CheckpointError, match=r"run 1 \(r\) has no usable checkpoint to resume "
                       r"from: .*trainer_state\.json is missing or unreadable"):  # fmt: skip
        runs.resume(store, run_id)
    assert store.get_run(run_id)["status"] == "stopped" and jobs.current() is None


def test_a_run_changed_by_another_process_meanwhile_is_not_resumed(
    store, tmp_path, reviews, tiny_model_dir, monkeypatch
):
    run_id = _stopped_run(store, tmp_path, reviews, tiny_model_dir)
    folder = store.checkpoint_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "trainer_state.json").write_text(json.dumps({"loop": {"step": 2}}))
    monkeypatch.setattr(store, "queue_run", lambda run_id, status: False)
    with pytest.raises(RunStateError, match="run 1 changed while it was being resumed; try again"):
        runs.resume(store, run_id)
    assert store.get_run(run_id)["status"] == "stopped" and jobs.current() is None
