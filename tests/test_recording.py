"""Runs recorded in the store as they train; a killed training process loses nothing else."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core import runs
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import BusyError, RunStateError
from core.training.recording import adapter_folder
from storage.errors import AdapterNotFoundError
from storage.store import Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "home" / "studio.db")


def tiny(data: Path, model: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), model=str(model), method="ptuning_v2", batch_size=16,
                  max_steps=30, log_every=5, eval_every=10, precision="fp32")  # fmt: skip
    values.update(overrides)
    return TrainConfig(**values)


@pytest.mark.train
def test_a_run_is_recorded_with_metrics_status_and_adapter(store, reviews, tiny_model_dir):
    handle = runs.start(store, tiny(reviews, tiny_model_dir))
    run_id = handle.run_id
    summary = handle.wait(120)
    assert summary["status"] == "succeeded", summary.get("error")
    run = store.get_run(run_id)
    assert run["status"] == "succeeded" and run["finished_at"]
    assert run["label_names"] == ["negative", "positive"]
    assert run["trainable_params"] > 0 and run["metrics"]["eval_accuracy"] >= 0
    losses = store.read_metrics(run_id, split="train")
    assert sorted({m["step"] for m in losses}) == [5, 10, 15, 20, 25, 30]
    evals = [m for m in store.read_metrics(run_id, split="eval") if m["name"] == "eval_accuracy"]
    assert [m["step"] for m in evals] == [10, 20, 30]
    assert [m["step"] for m in store.read_metrics(run_id, since_step=25, split="train")][:1] == [30]
    assert store.adapter_info(run_id)["kind"] == "ptuning_v2"


@pytest.mark.train
def test_adapter_is_rebuilt_from_the_database_alone(store, reviews, tiny_model_dir):
    handle = runs.start(store, tiny(reviews, tiny_model_dir, method="lora"))
    run_id = handle.run_id
    summary = handle.wait(120)
    before = Predictor(precision="fp32").predict(["a great film"], [summary["adapter_path"]])
    shutil.rmtree(store.checkpoint_dir(run_id))  # the run's folder is gone (another machine)
    folder = adapter_folder(store, run_id)
    assert (folder / "ptune_adapter.json").is_file()
    after = Predictor(precision="fp32").predict(["a great film"], [folder])
    assert after[str(folder)][0]["probabilities"] == pytest.approx(
        before[summary["adapter_path"]][0]["probabilities"], abs=1e-5
    )
    store.delete_run(run_id)
    assert not store.checkpoint_dir(run_id).exists(), "deleting a run removes its files"


@pytest.mark.train
def test_a_failed_run_records_its_reason(store, tmp_path, tiny_model_dir):
    handle = runs.start(store, tiny(tmp_path / "missing.csv", tiny_model_dir))
    run_id = handle.run_id
    handle.wait(60)
    run = store.get_run(run_id)
    assert run["status"] == "failed" and "missing.csv" in run["error"]


@pytest.mark.train
def test_a_second_run_is_refused_without_a_stray_record(store, reviews, tiny_model_dir):
    handle = runs.start(store, tiny(reviews, tiny_model_dir, max_steps=100_000))
    run_id = handle.run_id
    try:
        with pytest.raises(BusyError):
            runs.start(store, tiny(reviews, tiny_model_dir))
        assert [r["id"] for r in store.list_runs()] == [run_id]
    finally:
        handle.stop()
    handle.wait(60)
    assert store.get_run(run_id)["status"] == "stopped"
    assert store.adapter_info(run_id)["size"] > 0


def _wait_for_step(db: Path, step: int, process: subprocess.Popen, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        if db.exists():
            runs = Store(db).list_runs()
            if runs and Store(db).last_step(runs[0]["id"]) >= step:
                return runs[0]["id"]
        time.sleep(0.2)
    raise AssertionError(f"training did not reach step {step} in {timeout} s")


@pytest.mark.train
def test_kill_9_mid_run_marks_it_interrupted_and_it_resumes(tmp_path, reviews, tiny_model_dir):
    db = tmp_path / "home" / "studio.db"
    command = [sys.executable, "-m", "core.train", "--db", str(db), "--quiet",
               "--method", "ptuning_v1", "--data", str(reviews), "--model", str(tiny_model_dir),
               "--max-steps", "400", "--log-every", "5", "--eval-every", "50",
               "--batch-size", "16", "--precision", "fp32"]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    run_id = _wait_for_step(db, 110, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)

    store = Store(db)  # opening recovers runs whose process died
    run = store.get_run(run_id)
    assert run["status"] == "interrupted" and "ended unexpectedly" in run["error"]
    logged = store.last_step(run_id)
    assert logged >= 110
    steps = sorted({m["step"] for m in store.read_metrics(run_id, split="train")})
    assert steps == list(range(5, logged + 1, 5)), "every logged step up to the kill is kept"
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    handle = runs.resume(store, run_id)
    summary = handle.wait(300)
    assert summary["status"] == "succeeded", summary.get("error")
    run = store.get_run(run_id)
    assert run["status"] == "succeeded" and run["metrics"]["steps"] == 400
    steps = [m["step"] for m in store.read_metrics(run_id, split="train") if m["name"] == "loss"]
    assert steps == list(range(5, 401, 5)), "resumed steps replace the ones after the checkpoint"


@pytest.mark.train
def test_command_line_records_the_run(tmp_path, reviews, tiny_model_dir):
    db = tmp_path / "cli.db"
    result = subprocess.run(
        [sys.executable, "-m", "core.train", "--db", str(db), "--quiet", "--method", "head_only",
         "--data", str(reviews), "--model", str(tiny_model_dir), "--max-steps", "5",
         "--precision", "fp32"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    listed = subprocess.run([sys.executable, "-m", "storage", "list", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert listed.returncode == 0 and "head_only" in listed.stdout
    assert Store(db).get_run(summary["run_id"])["status"] == "succeeded"


@pytest.mark.parametrize(
    ("status", "said"),
    [("running", "is still training; its adapter is saved when it ends"),
     ("queued", "is still training"), ("waiting", "is waiting in the queue to train")],
)  # fmt: skip
def test_a_run_without_an_adapter_yet_says_it_is_still_training(store, status, said):
    run_id = store.create_run(name="r", method="lora", base_model="m", dataset="d", config={},
                              status=status)  # fmt: skip
    with pytest.raises(RunStateError, match=f"run {run_id} \\(r\\) {said}"):
        adapter_folder(store, run_id)


def test_a_finished_run_without_an_adapter_still_says_so(store):
    run_id = store.create_run(name="r", method="lora", base_model="m", dataset="d", config={},
                              status="failed")  # fmt: skip
    with pytest.raises(AdapterNotFoundError, match="has no stored adapter"):
        adapter_folder(store, run_id)
