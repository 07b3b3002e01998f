"""Several processes stop and fail together: a Ctrl-C or SIGTERM reaching any of them stops
all at a step boundary with the adapter saved; a failure in one ends the run as failed, with its
reason, and every process exits. Two CPU processes (gloo) under torchrun, with the probes of
``tests/rank_probe.py``."""

from __future__ import annotations

import time

import pytest
from conftest import torchrun, write_reviews

from core.training.artifacts import load_adapter
from core.training.recording import adapter_folder
from storage.store import Store

pytestmark = pytest.mark.train

LOG_EVERY = 4


def _launch(tmp_path, model, probe: dict, env: dict | None = None):
    """A recorded head-only run of two processes, with ``probe``: (completed process, store,
    seconds it took)."""
    data = write_reviews(tmp_path / "reviews.csv", rows=101)
    db = tmp_path / "ptune.db"
    began = time.monotonic()
    done = torchrun(
        ["core.train", "--model", str(model), "--data", str(data), "--method", "head_only",
         "--batch-size", "8", "--max-steps", "40", "--lr", "0.01", "--log-every", str(LOG_EVERY),
         "--eval-every", "10", "--precision", "fp32", "--num-threads", "1", "--db", str(db)],
        probe=probe, env=env, timeout=240,
    )  # fmt: skip
    return done, Store(db), time.monotonic() - began


def _the_run(store: Store) -> dict:
    runs = store.list_runs()
    assert len(runs) == 1
    return store.get_run(runs[0]["id"])


@pytest.mark.parametrize(("name", "rank"), [("SIGTERM", 0), ("SIGINT", 1)])
def test_a_signal_to_any_process_stops_all_at_a_step_boundary(name, rank, tmp_path,
                                                              tiny_model_dir):  # fmt: skip
    done, store, _ = _launch(
        tmp_path, tiny_model_dir, {"signal": {"rank": rank, "step": 5, "name": name}}
    )
    assert done.returncode == 0, done.stderr[-4000:]
    run = _the_run(store)
    assert run["status"] == "stopped"
    steps = run["metrics"]["steps"]
    assert 5 < steps < 40 and steps % LOG_EVERY == 0  # where the processes agree
    adapter = load_adapter(adapter_folder(store, run["id"]))
    assert adapter.label_names == ["negative", "positive"]


def test_a_signal_to_another_process_stops_a_whole_sweep(tmp_path, tiny_model_dir):
    """The main process records the sweep: the run stopped by a signal to the other process
    stops the sweep with it, on every process (no next run is started)."""
    data = write_reviews(tmp_path / "reviews.csv", rows=101)
    db = tmp_path / "ptune.db"
    done = torchrun(
        ["core.sweep", "--model", str(tiny_model_dir), "--data", str(data), "--method",
         "ptuning_v2", "--lengths", "4,8", "--lrs", "0.01", "--batch-size", "8", "--max-steps",
         "40", "--log-every", str(LOG_EVERY), "--precision", "fp32", "--num-threads", "1",
         "--db", str(db)],
        probe={"signal": {"rank": 1, "step": 5, "name": "SIGTERM"}}, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    store = Store(db)
    (sweep,) = store.list_sweeps()
    assert sweep["status"] == "stopped"
    assert [run["status"] for run in store.list_runs()] == ["stopped"]


def test_a_process_failing_inside_a_step_fails_the_run_with_its_reason(tmp_path,
                                                                       tiny_model_dir):  # fmt: skip
    """The other process waits for it in the step's collective until the timeout, then both
    agree: the run is recorded failed with the failing process's own reason."""
    done, store, seconds = _launch(
        tmp_path, tiny_model_dir, {"fail": {"rank": 1, "step": 3, "kind": "raise"}},
        env={"PTUNE_COLLECTIVE_TIMEOUT": "15"},
    )  # fmt: skip
    assert done.returncode != 0
    run = _the_run(store)
    assert run["status"] == "failed"
    assert "probe failure in process 1 at step 3" in run["error"]
    assert seconds < 200


def test_a_process_whose_loss_is_not_finite_fails_the_run_at_once(tmp_path, tiny_model_dir):
    """A failure of a process's own work waits for the next agreement: no timeout needed."""
    done, store, seconds = _launch(
        tmp_path, tiny_model_dir, {"fail": {"rank": 1, "step": 3, "kind": "nan"}},
        env={"PTUNE_COLLECTIVE_TIMEOUT": "120"},
    )  # fmt: skip
    assert done.returncode != 0
    run = _the_run(store)
    assert run["status"] == "failed"
    # the losses are read at log steps: it ended at the first agreement after step 3
    assert f"the loss became nan by step {LOG_EVERY};" in run["error"]
    assert all(r["step"] <= LOG_EVERY for r in store.read_metrics(run["id"], split="train"))
    assert seconds < 120
