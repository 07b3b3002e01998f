"""Several labels per text: detected from the label column (lists, joined labels, label ids
with a names file), trained with sigmoid outputs and binary cross-entropy by every method,
thresholds chosen per label on validation, and every bad input refused with its reason."""

from __future__ import annotations

import json
import math

import pytest
import torch
from conftest import shared_path, train_config
from multilabel_data import MOODS, write_ids, write_joined, write_lists

from core.data.loading import load_data
from core.errors import DataError
from core.methods import METHODS
from core.tasks import TASKS, best_score, detect_task, get_task
from core.tasks.metrics import best_thresholds, multi_label_metrics


@pytest.fixture(scope="module")
def joined(tmp_path_factory):
    return write_joined(tmp_path_factory.mktemp("ml") / "moods.csv")


# ----------------------------------------------------------------------------- detection
def test_joined_labels_are_detected_with_the_reason(joined):
    bundle = load_data(joined)
    assert bundle.task == "multi_label"
    assert bundle.task_reason.startswith("the label column 'labels' holds several labels per row")
    assert bundle.label_names == sorted(MOODS)
    every = bundle.train.labels + bundle.validation.labels
    assert () in every and all(isinstance(label, tuple) for label in every)
    assert len(max(every, key=len)) == 3


def test_lists_in_jsonl_are_detected(tmp_path):
    bundle = load_data(write_lists(tmp_path / "moods.jsonl"))
    assert bundle.task == "multi_label"
    assert bundle.task_reason == "the label column 'labels' holds lists of labels"


def test_label_ids_name_lines_of_the_names_file(tmp_path):
    bundle = load_data(write_ids(tmp_path / "ids"))
    assert bundle.task == "multi_label"
    assert bundle.label_names == list(MOODS)  # the names file's order, not sorted
    assert "joined as in" in bundle.task_reason


def test_one_label_per_row_stays_single_label(reviews):
    assert load_data(reviews).task == "single_label"
    assert detect_task(["text", "label"]).task == "single_label"  # never from columns alone


def test_the_task_can_be_given(reviews):
    bundle = load_data(reviews, task="multi_label")
    assert bundle.task == "multi_label" and bundle.task_reason == "chosen: multi_label"
    assert all(len(label) == 1 for label in bundle.train.labels)


def test_task_hooks_are_declared():
    task = TASKS["multi_label"]
    assert (task.problem_type, task.best_metric, task.few_shot_unit) == (
        "multi_label_classification",
        "eval_f1",
        "label",
    )
    assert get_task("single_label").problem_type == "single_label_classification"
    assert best_score({"task": "multi_label", "eval_f1": 0.4, "eval_accuracy": 0.1}) == 0.4
    assert best_score({"eval_accuracy": 0.7}) == 0.7  # runs from before tasks


# ----------------------------------------------------------------------------- bad input
def test_a_label_id_outside_the_names_file_is_refused(tmp_path):
    folder = write_ids(tmp_path / "ids")
    dev = folder / "dev.tsv"
    dev.write_text(dev.read_text(encoding="utf-8") + "a good film\t0,7\tx\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"label id 7, outside the names file .*labels.txt"):
        load_data(folder)


def test_a_label_unseen_in_train_is_refused(tmp_path):
    path = write_joined(tmp_path / "data" / "train.csv")
    (tmp_path / "data" / "dev.csv").write_text("text,labels\na film,happy;angry\n" * 3)
    with pytest.raises(
        DataError, match=r"validation split has labels not seen in train: \['angry'"
    ):
        load_data(path.parent)


def test_a_names_file_naming_a_label_twice_is_refused(tmp_path):
    folder = write_ids(tmp_path / "ids")
    (folder / "labels.txt").write_text("happy\nhappy\nmovie\n")
    with pytest.raises(DataError, match="must name at least two labels, each once"):
        load_data(folder)


def test_a_label_too_rare_to_train_is_refused(tmp_path):
    path = tmp_path / "rare.csv"
    rows = ["text,labels"] + [f"text {i},a;b" for i in range(30)] + ["one more,c"]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"too few examples of \{'c': 1\}"):
        load_data(path)


def test_few_shot_takes_k_rows_per_label_nested(joined):
    small = load_data(joined, shots_per_class=4, seed=3)
    large = load_data(joined, shots_per_class=8, seed=3)
    for bundle, k in ((small, 4), (large, 8)):
        counts = bundle.summary()["splits"]["train"]["label_counts"]
        assert min(counts.values()) >= k
    assert set(small.train.texts) <= set(large.train.texts)
    with pytest.raises(DataError, match="fewer than shots_per_class=500"):
        load_data(joined, shots_per_class=500)


# ----------------------------------------------------------------------------- metrics
def test_metrics_and_thresholds():
    logits = torch.tensor([[3.0, -3.0], [3.0, 3.0], [-3.0, -0.2]])
    labels = [(0,), (0, 1), (1,)]
    metrics = multi_label_metrics(logits, labels, ["a", "b"], [0.5, 0.5])
    assert metrics["eval_accuracy"] == pytest.approx(2 / 3)
    assert metrics["eval_per_label"]["b"]["recall"] == pytest.approx(0.5)
    assert metrics["eval_micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 1))
    assert best_thresholds(logits, labels, 2) == [0.5, 0.5]  # 2 or 3 rows of a label: too few
    logits, labels = logits.repeat(5, 1), labels * 5  # each label in 10 or 15 rows
    chosen = best_thresholds(logits, labels, 2)
    assert chosen[0] <= 0.95 and chosen[1] <= 0.45  # -0.2 -> p 0.45: a lower threshold finds it
    tuned = multi_label_metrics(logits, labels, ["a", "b"], chosen)
    assert tuned["eval_accuracy"] == 1.0 and tuned["eval_f1"] == 1.0


def test_validation_figures_judge_each_half_at_thresholds_chosen_on_the_other():
    task = get_task("multi_label")
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(400, 3, generator=generator)  # no signal: any F1 above chance is luck
    labels = [tuple(int(j) for j in torch.nonzero(torch.rand(3, generator=generator) < 0.2))
              for _ in range(400)]  # fmt: skip
    chosen, fair = task.calibrated_metrics(logits, labels, ["a", "b", "c"])
    fitted = task.metrics(logits, labels, ["a", "b", "c"], "eval", chosen)
    assert fair["eval_f1"] < fitted["eval_f1"] - 0.01  # thresholds fitted to the rows they score
    shown = {name: entry["threshold"] for name, entry in fair["eval_per_label"].items()}
    assert shown == chosen["thresholds"]  # the thresholds stored and used are the chosen ones
    separable = torch.tensor([[4.0, -4.0], [-4.0, 4.0]] * 4)
    chosen, fair = task.calibrated_metrics(separable, [(0,), (1,)] * 4, ["a", "b"])
    assert fair["eval_f1"] == 1.0 and fair["eval_accuracy"] == 1.0


def test_a_fresh_head_starts_at_each_labels_log_odds():
    bias = get_task("multi_label").initial_bias([(0,), (0, 1), (), (0,)], 3)
    assert bias[0] > 0 > bias[1] > bias[2]  # 3 of 4 rows, 1 of 4, none
    assert bias[1] == pytest.approx(math.log(1.5 / 3.5))  # (1 + 0.5) / (5 - 1 - 0.5)
    assert get_task("single_label").initial_bias([0, 1, 1], 2) is None


@pytest.mark.train
@pytest.mark.parametrize("method", ["head_only", "full"])
def test_a_multi_label_run_starts_its_head_at_the_training_labels_rates(
    method, joined, tmp_path, tiny_model_dir
):
    from core.methods.base import classifier_head
    from core.training.run_setup import RunSetup

    setup = RunSetup(train_config(tmp_path, joined, tiny_model_dir, method=method))
    setup.setup()
    expected = get_task("multi_label").initial_bias(setup.data.train.labels, len(setup.labels))
    layers = [m for m in classifier_head(setup._unwrapped()).modules()
              if isinstance(m, torch.nn.Linear)]  # fmt: skip
    assert layers[-1].bias.tolist() == pytest.approx(expected, abs=1e-6)
    rates = [sum(i in ids for ids in setup.data.train.labels) / len(setup.data.train)
             for i in range(len(setup.labels))]  # fmt: skip
    assert torch.sigmoid(torch.tensor(expected)).tolist() == pytest.approx(rates, abs=0.02)


# ----------------------------------------------------------------------------- training
@pytest.mark.train
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_and_predicts_several_labels(method, joined, tmp_path, tiny_model_dir):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded
    from core.training.artifacts import read_meta

    config = train_config(tmp_path, joined, tiny_model_dir, method=method, max_steps=2)
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["task"] == "multi_label"
    assert {"eval_f1", "eval_micro_f1", "eval_accuracy", "eval_per_label"} <= set(summary)
    meta = read_meta(summary["adapter_path"])
    assert meta["task"] == "multi_label"
    assert set(meta["thresholds"]) == set(MOODS)
    assert all(0 < t < 1 for t in meta["thresholds"].values())
    row = Predictor().predict(["good great film"], [summary["adapter_path"]])
    (answer,) = row[summary["adapter_path"]]
    assert answer["labels"] == [
        n for n in meta["label_names"] if answer["probabilities"][n] >= meta["thresholds"][n]
    ]
    assert answer["label"] == ", ".join(answer["labels"])


@pytest.mark.train
def test_multi_label_learns_and_keeps_the_best_by_macro_f1(joined, tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded

    config = train_config(tmp_path, joined, tiny_model_dir, method="full", max_steps=200, lr=2e-3,
                          eval_every=20)  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    # every label for every row scores 2/3 (each label is on half the rows)
    assert summary["eval_f1"] > 0.75, summary["eval_f1"]
    assert summary["best_step"] % 20 == 0 or summary["best_step"] == 200


@pytest.mark.train
def test_goemotions_trains_with_its_names_file(tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded
    from core.training.artifacts import read_meta

    data = shared_path("goemotions")
    bundle = load_data(data, shots_per_class=2, eval_sample_rows=64)
    assert bundle.task == "multi_label" and len(bundle.label_names) == 28
    assert bundle.label_names[:2] == ["admiration", "amusement"]
    config = train_config(tmp_path, data, tiny_model_dir, shots_per_class=2, eval_sample_rows=64,
                          max_steps=2)  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    meta = read_meta(summary["adapter_path"])
    assert len(meta["thresholds"]) == 28 and meta["task"] == "multi_label"
    assert json.loads(json.dumps(summary["eval_per_label"]))["grief"]["support"] >= 0


@pytest.mark.train
def test_a_multi_task_run_refuses_several_labels_per_text(
    joined, reviews, tmp_path, tiny_model_dir
):
    from core.training.launch import create_trainer

    config = train_config(tmp_path, "", tiny_model_dir, method="prompt_tuning",
                          tasks={"moods": str(joined), "reviews": str(reviews)})  # fmt: skip
    trainer = create_trainer(config)
    with pytest.raises(DataError, match="a multi-task run trains tasks of one label per row; "
                       "moods has the task multi_label - train it on its own"):  # fmt: skip
        trainer.setup()


def test_a_learning_curve_counts_examples_per_label(joined, tiny_model_dir):
    from core.config import TrainConfig
    from core.fewshot.plan import FewShotConfig
    from core.fewshot.run import fit_to_data

    base = TrainConfig(data=str(joined), model=str(tiny_model_dir), method="head_only")
    config = FewShotConfig(base=base, methods=("head_only",), shots=(4, 500), seeds=1, steps=2)
    notes = fit_to_data(config)
    assert config.shots == (4,)
    assert "left out 500 examples per class" in notes[0]


def test_one_zero_one_column_per_label_is_read_as_several_labels(tmp_path):
    path = tmp_path / "binary.csv"
    lines = ["id,text,happy,sad,movie"] + [
        f"{i},text number {i},{i % 2},{(i >> 1) % 2},{(i >> 2) % 2}" for i in range(48)
    ]
    path.write_text("\n".join(lines) + "\n")
    bundle = load_data(path)
    assert bundle.task == "multi_label"
    assert bundle.task_reason == "3 columns of 0/1 values, one per label: happy, sad, movie"
    assert bundle.label_names == ["happy", "movie", "sad"]
    one = tmp_path / "one.csv"
    one.write_text(
        "text,flag,label\n" + "".join(f"t {i},{i % 2},{'ab'[i % 2]}\n" for i in range(20))
    )
    assert load_data(one).task == "single_label"  # a column named like labels: one label
    chosen = load_data(path, task="multi_label")  # the task given reads the 0/1 columns too
    assert (chosen.task, chosen.label_names) == ("multi_label", ["happy", "movie", "sad"])
    assert chosen.train.labels == load_data(path).train.labels
