"""Training in several processes (``accelerate launch``, torchrun): two CPU processes (gloo)
make one recorded run."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import torchrun, write_reviews

from core.analysis.predict import Predictor
from core.training.artifacts import load_adapter
from core.training.recording import adapter_folder
from storage.store import Store

pytestmark = pytest.mark.train

STEPS = 24
BATCH = 8


@pytest.fixture(scope="module")
def launched(tmp_path_factory, tiny_model_dir):
    """A head-only run of two processes recorded in a fresh database: (completed process, db)."""
    folder = tmp_path_factory.mktemp("launch")
    # 101 rows: the epoch's batches do not split evenly, nor does its last batch
    data = write_reviews(folder / "reviews.csv", rows=101)
    db = folder / "ptune.db"
    # torchrun, which accelerate launch also uses for GPUs: its --cpu starts several processes
    # only through MPI
    done = torchrun([
        "core.train", "--model", str(tiny_model_dir), "--data", str(data),
        "--method", "head_only", "--batch-size", str(BATCH), "--max-steps", str(STEPS),
        "--lr", "0.01", "--log-every", "1", "--eval-every", str(STEPS), "--precision", "fp32",
        "--num-threads", "1", "--db", str(db),
    ])  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    return done, db


def test_one_summary_and_one_progress_bar(launched):
    done, db = launched
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # the main process's summary only
    summary = json.loads(lines[0])
    assert summary["status"] == "succeeded" and summary["steps"] == STEPS
    assert summary["db"] == str(db)
    # the periodic and the final evaluation at the last step, shown by one process
    assert done.stderr.count(f"step {STEPS}: eval accuracy") == 2


def test_one_run_recorded_once(launched):
    _, db = launched
    store = Store(db)
    runs = store.list_runs()
    assert len(runs) == 1
    run = store.get_run(runs[0]["id"])
    assert run["status"] == "succeeded"
    assert run["config"]["batch_size"] == BATCH
    rows = store.read_metrics(run["id"])
    keys = Counter((r["step"], r["split"], r["name"]) for r in rows)
    assert [k for k, n in keys.items() if n > 1] == []
    train_steps = sorted(r["step"] for r in rows if r["split"] == "train" and r["name"] == "lr")
    assert train_steps == list(range(1, STEPS + 1))
    # The samples are the whole batches of both processes: about BATCH a step, not BATCH / 2.
    metrics = run["metrics"]
    samples = metrics["train_samples_per_second"] * metrics["train_seconds"]
    assert 0.8 * STEPS * BATCH <= samples <= STEPS * BATCH + 1e-6


def test_learning_rate_decays_over_the_whole_run(launched):
    """The schedule ends at the last step: stepped once per process it would end halfway."""
    _, db = launched
    store = Store(db)
    run_id = store.list_runs()[0]["id"]
    lr = {r["step"]: r["value"] for r in store.read_metrics(run_id, split="train")
          if r["name"] == "lr"}  # fmt: skip
    assert lr[STEPS] == 0.0
    assert all(lr[step] > 0 for step in range(1, STEPS))
    assert all(lr[s] >= lr[s + 1] for s in range(STEPS // 2, STEPS))


def test_the_adapter_loads_and_predicts(launched):
    _, db = launched
    store = Store(db)
    run_id = store.list_runs()[0]["id"]
    folder = adapter_folder(store, run_id)
    adapter = load_adapter(folder)
    assert adapter.label_names == ["negative", "positive"]
    assert adapter.meta["method"] == "head_only"
    texts = ["the film was great and wonderful", "the plot was bad and boring"]
    rows = Predictor(precision="fp32").predict(texts, [folder])[str(folder)]
    assert len(rows) == 2
    for row in rows:
        assert row["label"] in adapter.label_names
        assert sum(row["probabilities"].values()) == pytest.approx(1.0)
