"""A score per row (regression): chosen by name (auto names it in the continuous-label
message), one text or a pair told from the columns, trained with mean-squared error by every
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


def test_auto_refuses_a_score_and_offers_regression(scores):
    with pytest.raises(DataError, match=r"looks continuous.*choose the task regression \(CLI: "):
        load_data(scores, label_column="score")


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
