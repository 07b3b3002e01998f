"""A score per row (regression): found by auto in a label column of measurements (or chosen by
name; a classification chosen for one names the task in its refusal), one text or a pair told
from the columns, trained with mean-squared error by every
method, measured by MSE, MAE, Pearson and Spearman, and every bad score refused."""

from __future__ import annotations

import pytest
import torch
from conftest import shared_path, train_config
from regression_data import write_scores

from core.data.loading import load_data
from core.errors import DataError, InputError
from core.methods import METHODS
from core.tasks import TASKS, best_score


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    return write_scores(tmp_path_factory.mktemp("scores") / "scores.csv")


@pytest.fixture(scope="module")
def pair_scores(tmp_path_factory):
    return write_scores(tmp_path_factory.mktemp("scores") / "pairs.csv", pairs=True)


def test_a_classification_chosen_for_a_score_refuses_and_offers_regression(scores):
    with pytest.raises(DataError, match=r"looks continuous.*choose the task regression \(CLI: "):
        load_data(scores, label_column="score", task="single_label")


def test_auto_reads_a_column_of_measurements_as_a_score_and_says_why(scores):
    bundle = load_data(scores)  # no column named like labels: 'score' is found by its name
    assert (bundle.task, bundle.label_names) == ("regression", ["score"])
    assert bundle.task_reason.startswith("the label column 'score' holds ")
    assert "distinct numbers such as" in bundle.task_reason
    assert bundle.task_reason.endswith(": a score to predict")


def test_auto_keeps_whole_number_ratings_as_classes(tmp_path):
    path = tmp_path / "ratings.csv"
    rows = [f"review {i},{1 + i % 5}" for i in range(40)]
    path.write_text("text,score\n" + "\n".join(rows) + "\n", encoding="utf-8")
    bundle = load_data(path)
    assert (bundle.task, bundle.label_names) == ("single_label", ["1", "2", "3", "4", "5"])


def test_stsb_is_found_as_a_score_of_pairs_by_auto():
    bundle = load_data(shared_path("stsb"), max_train_rows=64, eval_sample_rows=64)
    assert (bundle.task, bundle.text_pair_column, bundle.label_names) == (
        "regression", "sentence2", ["score"])  # fmt: skip
    assert bundle.task_reason.startswith("two text columns named sentence1 and sentence2; ")
    assert "the label column 'score' holds " in bundle.task_reason


def test_a_score_of_one_text_loads_as_numbers(scores):
    bundle = load_data(scores, task="regression")
    assert (bundle.task, bundle.label_names, bundle.text_pair_column) == (
        "regression",
        ["score"],
        None,
    )
    assert all(isinstance(v, float) for v in bundle.train.labels)
    assert bundle.summary()["splits"]["train"]["label_counts"] == {"score": len(bundle.train)}


def test_a_score_of_a_pair_reads_both_texts(pair_scores):
    bundle = load_data(pair_scores, task="regression")
    assert bundle.text_pair_column == "sentence2" and isinstance(bundle.train.texts[0], tuple)
    assert (
        bundle.task_reason == "chosen: regression (two text columns named sentence1 and sentence2)"
    )


def test_task_hooks_are_declared():
    task = TASKS["regression"]
    assert (task.problem_type, task.best_metric, task.few_shot_unit, task.auto_detected) == (
        "regression", "eval_pearson", "n", False)  # fmt: skip
    assert best_score({"task": "regression", "eval_pearson": 0.5}) == 0.5
    assert task.for_inputs(["text", "text_pair"]).inputs == ("text", "text_pair")
    metrics = task.metrics(torch.tensor([[1.0], [2.0], [4.0]]), [1.0, 2.0, 3.0], ["score"])
    assert metrics["eval_mse"] == pytest.approx(1 / 3) and metrics["eval_mae"] == pytest.approx(
        1 / 3
    )
    assert metrics["eval_spearman"] == pytest.approx(1.0) and 0.9 < metrics["eval_pearson"] < 1
    flat = task.metrics(torch.tensor([[1.0], [1.0]]), [1.0, 2.0], ["score"])
    assert flat["eval_pearson"] == 0.0  # undefined for a constant prediction


def test_a_score_that_is_not_a_number_is_refused(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,score\n" + "".join(f"t {i},{i * 0.3}\n" for i in range(20)) + "t,high\n")
    with pytest.raises(DataError, match=r"the train split has 'high' in the score column 'score', "
                       "which is not a number"):  # fmt: skip
        load_data(path, task="regression")


def test_scores_all_alike_or_no_score_column_are_refused(tmp_path):
    same = tmp_path / "same.csv"
    same.write_text("text,score\n" + "".join(f"t {i},2\n" for i in range(20)))
    with pytest.raises(DataError, match="every training row has the score 2.0"):
        load_data(same, task="regression")
    other = tmp_path / "other.csv"
    other.write_text("text,amount\n" + "".join(f"t {i},{i}\n" for i in range(20)))
    with pytest.raises(DataError, match="could not tell which column holds the scores"):
        load_data(other, task="regression")
    load_data(other, task="regression", label_column="amount")  # named: read


def test_few_shot_takes_n_rows_in_all(scores):
    small = load_data(scores, task="regression", shots_per_class=8, seed=1)
    large = load_data(scores, task="regression", shots_per_class=16, seed=1)
    assert (len(small.train), len(large.train)) == (8, 16)
    assert set(small.train.texts) <= set(large.train.texts)
    with pytest.raises(DataError, match="fewer than shots_per_class=500"):
        load_data(scores, task="regression", shots_per_class=500)


@pytest.mark.train
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_and_predicts_a_score(method, pair_scores, tmp_path, tiny_model_dir):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded
    from core.training.artifacts import read_meta

    config = train_config(tmp_path, pair_scores, tiny_model_dir, method=method, max_steps=2,
                          task="regression")  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert {"eval_mse", "eval_mae", "eval_pearson", "eval_spearman"} <= set(summary)
    meta = read_meta(summary["adapter_path"])
    assert (meta["task"], meta["inputs"], meta["label_names"]) == (
        "regression", ["text", "text_pair"], ["score"])  # fmt: skip
    predictor = Predictor(precision="fp32")
    (row,) = predictor.predict([("good film", "great")], [summary["adapter_path"]])[
        summary["adapter_path"]
    ]
    assert set(row) == {"label", "score"} and row["label"] == f"{row['score']:.3f}"
    with pytest.raises(InputError, match="give both texts"):
        predictor.predict(["one text"], [summary["adapter_path"]])


@pytest.mark.train
def test_a_score_is_learned(scores, tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded

    config = train_config(tmp_path, scores, tiny_model_dir, method="full", max_steps=150, lr=3e-3,
                          eval_every=25, task="regression")  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["eval_pearson"] > 0.5, summary["eval_pearson"]


@pytest.mark.train
def test_stsb_trains_as_a_score_of_pairs(tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded

    data = shared_path("stsb")
    config = train_config(tmp_path, data, tiny_model_dir, task="regression", max_train_rows=64,
                          eval_sample_rows=64, max_steps=2)  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["task"] == "regression" and summary["eval_mse"] > 0


@pytest.mark.train
def test_a_resumed_auto_run_reads_its_data_as_the_task_it_started_with(tmp_path, tiny_model_dir):
    import threading

    import pandas as pd

    from core.runs import train_unrecorded

    data = write_scores(tmp_path / "scores.csv")
    stop = threading.Event()

    def stop_at_a_checkpoint(event):
        if event.type == "checkpoint":
            stop.set()

    run = train_config(tmp_path, data, tiny_model_dir, method="lora", max_steps=6, eval_every=2)
    first = train_unrecorded(run, stop_at_a_checkpoint, stop)
    assert (first["status"], first["task"]) == ("stopped", "regression")
    frame = pd.read_csv(data)  # edited since: whole-number scores, which auto reads as classes
    frame.assign(score=frame["score"].round().astype(int)).to_csv(data, index=False)
    assert load_data(data).task == "single_label"
    resumed = train_unrecorded(run, resume_from=tmp_path / "run" / "checkpoint")
    assert resumed["status"] == "succeeded", resumed.get("error")
    assert resumed["task"] == "regression" and resumed["steps"] == 6


@pytest.mark.train
def test_a_score_head_starts_at_the_mean_training_score(scores, tmp_path, tiny_model_dir):
    from core.methods.base import classifier_head
    from core.training.run_setup import RunSetup

    setup = RunSetup(train_config(tmp_path, scores, tiny_model_dir, method="lora"))
    setup.setup()
    mean = sum(setup.data.train.labels) / len(setup.data.train)
    assert 1.0 < mean < 2.0  # 0-3 happy words: far from the 0 a fresh head starts at
    head = classifier_head(setup._unwrapped())  # LoRA: the original and the trained copy
    biases = [m.bias for m in head.modules() if isinstance(m, torch.nn.Linear)]
    assert biases and all(b.item() == pytest.approx(mean, abs=1e-5) for b in biases)
