"""Training in several processes (``accelerate launch``, torchrun): two CPU processes (gloo)
make one recorded run; a prompt that grows, several tasks, evaluation split between them, and
sweeps and few-shot experiments recorded once.

The processes run on the CPU whatever the machine has (``conftest.torchrun``); the probes of
``tests/rank_probe.py`` show what each process held and did."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch
from conftest import torchrun, write_labelled, write_reviews
from safetensors.torch import load_file

from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.data.tokens import tokenize
from core.training.artifacts import load_adapter
from core.training.evaluate import classification_metrics, predict_logits
from core.training.inputs import load_run_data
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


# ----------------------------------------------------------------------------- helpers
def _flags(model: Path, data: Path | list[Path], **values: object) -> list[str]:
    """``python -m core.train`` flags of a short fp32 run on one thread per process."""
    sources = data if isinstance(data, list) else [data]
    settings = {"batch-size": BATCH, "precision": "fp32", "num-threads": 1,
                **{k.replace("_", "-"): v for k, v in values.items()}}  # fmt: skip
    flags = ["--model", str(model)] + [f for d in sources for f in ("--data", str(d))]
    return flags + [f for k, v in settings.items() for f in (f"--{k}", str(v))]


def _summary(done) -> dict:
    assert done.returncode == 0, done.stderr[-4000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # the main process's summary only
    return json.loads(lines[-1])


def _held(folder: Path, run: int = 1) -> list[dict[str, torch.Tensor]]:
    """The trainable tensors each process held when run ``run`` saved its adapter."""
    return [load_file(str(folder / f"rank{rank}-{run}.safetensors")) for rank in (0, 1)]


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ----------------------------------------------------------------------------- growth
@pytest.fixture(scope="module")
def grown(tmp_path_factory, tiny_model_dir):
    """A P-Tuning v2 prompt grown from 4 to 8 tokens by two processes, then resumed by two
    with a longer plan: (folder, first launch, resumed launch)."""
    folder = tmp_path_factory.mktemp("grow")
    data = write_reviews(folder / "reviews.csv", rows=101)
    flags = _flags(tiny_model_dir, data, method="ptuning_v2", grow="4,8", lr=0.01, log_every=5,
                   eval_every=5, keep_best="false")  # fmt: skip
    first = torchrun(["core.train", *flags, "--max-steps", "20", "--out", str(folder / "a")],
                     probe={"record": str(folder / "first")})  # fmt: skip
    resumed = torchrun(
        ["core.train", *flags, "--max-steps", "30", "--out", str(folder / "b"),
         "--resume", str(folder / "a" / "checkpoint")],
        probe={"record": str(folder / "resumed")},
    )  # fmt: skip
    return folder, first, resumed


def test_a_prompt_grows_in_two_processes_which_hold_the_same_prompt(grown):
    folder, first, _ = grown
    summary = _summary(first)
    assert summary["status"] == "succeeded" and summary["steps"] == 20
    assert summary["prompt_length"] == 8
    rank0, rank1 = _held(folder / "first")
    assert _same(rank0, rank1)
    assert _same(rank0, load_file(str(folder / "a" / "adapter" / "adapter_model.safetensors")))


def test_a_grown_prompt_resumes_in_two_processes(grown):
    folder, _, resumed = grown
    summary = _summary(resumed)
    assert summary["status"] == "succeeded" and summary["steps"] == 30
    assert summary["prompt_length"] == 8
    assert _same(*_held(folder / "resumed"))


# ----------------------------------------------------------------------------- tasks
def test_several_tasks_train_in_two_processes(tmp_path, tiny_model_dir):
    """Some steps give a process no row of a task: its head still takes part in the step."""
    two = write_reviews(tmp_path / "two.csv", rows=60)
    three = write_labelled(tmp_path / "three.csv", ["negative", "neutral", "positive"], 60, 1)
    done = torchrun(
        ["core.train", *_flags(tiny_model_dir, [two, three], method="ptuning_v2", max_steps=16,
                               log_every=4, eval_every=8, out=tmp_path / "run")],
        probe={"record": str(tmp_path / "held")},
    )  # fmt: skip
    summary = _summary(done)
    assert summary["status"] == "succeeded" and summary["steps"] == 16
    assert set(summary["tasks"]) == {"two", "three"}
    assert _same(*_held(tmp_path / "held"))


# ----------------------------------------------------------------------------- evaluation
@pytest.fixture(scope="module")
def evaluated(tmp_path_factory, tiny_model_dir):
    """A head-only run of two processes evaluating every 6 steps: (folder, summary, flags)."""
    folder = tmp_path_factory.mktemp("evaluate")
    data = write_reviews(folder / "reviews.csv", rows=101)
    values = dict(method="head_only", lr=0.01, max_steps=12, log_every=3, eval_every=6,
                  validation_fraction=0.3, out=folder / "run")  # fmt: skip
    done = torchrun(["core.train", *_flags(tiny_model_dir, data, **values)],
                    probe={"record": str(folder / "probe")})  # fmt: skip
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="head_only",
                         validation_fraction=0.3)  # fmt: skip
    return folder, _summary(done), config


def _seen(folder: Path) -> list[dict]:
    return [json.loads((folder / "probe" / f"rank{r}.json").read_text()) for r in (0, 1)]


def test_each_process_evaluates_its_share_and_together_they_equal_one_process(evaluated):
    folder, summary, config = evaluated
    validation = load_run_data(config).validation
    rank0, rank1 = (seen["eval_rows"] for seen in _seen(folder))
    assert len(rank0) == len(rank1) >= 2  # the evaluations at steps 6 and 12 (and the final)
    assert all(a + b == len(validation) and abs(a - b) <= 1
               for a, b in zip(rank0, rank1, strict=True))  # fmt: skip
    adapter = load_adapter(summary["adapter_path"])
    tokens = tokenize(adapter.tokenizer, validation.texts, adapter.max_length)
    logits = predict_logits(adapter.model, tokens, 16, adapter.tokenizer.pad_token_id or 0)
    alone = classification_metrics(logits, validation.labels, 2)
    assert summary["eval_loss"] == pytest.approx(alone["eval_loss"], abs=1e-5)
    assert summary["eval_accuracy"] == alone["eval_accuracy"]
    assert summary["eval_confusion_matrix"] == alone["eval_confusion_matrix"]


def test_the_main_process_alone_computes_the_metrics(evaluated):
    folder, _, _ = evaluated
    rank0, rank1 = _seen(folder)
    assert rank0["metric_calls"] >= 2 and rank1["metric_calls"] == 0
    assert _same(*_held(folder / "probe"))  # both end with the same (best) weights


# ----------------------------------------------------------------------------- groups
def test_a_sweep_of_two_processes_is_recorded_once(tmp_path, tiny_model_dir):
    data = write_reviews(tmp_path / "reviews.csv", rows=60)
    db = tmp_path / "ptune.db"
    done = torchrun(["core.sweep", *_flags(tiny_model_dir, data, method="ptuning_v2",
                                           max_steps=4, log_every=2, db=db),
                     "--lengths", "4,8", "--lrs", "0.01"])  # fmt: skip
    outcome = _summary(done)
    assert outcome["status"] == "succeeded"
    store = Store(db)
    assert len(store.list_sweeps()) == 1
    runs = store.list_runs()
    assert sorted(r["status"] for r in runs) == ["succeeded", "succeeded"]
    assert {int(r["sweep_id"]) for r in runs} == {outcome["sweep_id"]}


def test_a_fewshot_experiment_of_two_processes_is_recorded_once(tmp_path, tiny_model_dir):
    data = write_reviews(tmp_path / "reviews.csv", rows=60)
    db = tmp_path / "ptune.db"
    done = torchrun(["core.fewshot", *_flags(tiny_model_dir, data, db=db),
                     "--methods", "head_only,ptuning_v2",
                     "--shots", "4", "--seeds", "1", "--steps", "3"])  # fmt: skip
    outcome = _summary(done)
    assert outcome["status"] == "succeeded"
    store = Store(db)
    assert len(store.list_sweeps()) == 1
    assert sorted(r["status"] for r in store.list_runs()) == ["succeeded", "succeeded"]
