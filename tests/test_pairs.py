"""Text pairs: detected from the columns, encoded as the model's pair input, trained with every
method, predicted with both texts, and refused with a clear message when a text is missing."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest
from conftest import FILLER, NEGATIVE, POSITIVE, shared_path, train_config

from core.config import TrainConfig
from core.data.loading import load_data
from core.data.tokens import tokenize
from core.errors import DataError, InputError
from core.methods import METHODS
from core.tasks import TASKS, detect_task, get_task


def write_pairs(path: Path, names: tuple[str, str] = ("sentence1", "sentence2"), rows: int = 80):
    """A paraphrase-like CSV: the label says whether the second text's mood matches the first's
    (so one text alone cannot tell it)."""
    rng = random.Random(0)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*names, "label"])
        for i in range(rows):
            first_good, same = rng.random() < 0.5, i % 2 == 0
            second_good = first_good if same else not first_good
            first = rng.sample(FILLER, 3) + rng.sample(POSITIVE if first_good else NEGATIVE, 1)
            second = rng.sample(FILLER, 3) + rng.sample(POSITIVE if second_good else NEGATIVE, 1)
            writer.writerow([" ".join(first), " ".join(second), "same" if same else "other"])
    return path


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    return write_pairs(tmp_path_factory.mktemp("pairs") / "pairs.csv")


# ----------------------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["sentence1", "sentence2", "label"], ("sentence1", "sentence2")),
        (["Premise", "Hypothesis", "label"], ("Premise", "Hypothesis")),
        (["idx", "question", "answer", "y"], ("question", "answer")),
    ],
)
def test_pair_columns_are_detected_by_name_with_the_reason(columns, expected):
    found = detect_task(columns)
    assert found.task == "pair"
    assert (found.text_column, found.text_pair_column) == expected
    assert found.reason == f"two text columns named {expected[0]} and {expected[1]}"


def test_one_text_column_is_single_label():
    found = detect_task(["text", "label"])
    assert found.task == "single_label"
    assert found.text_pair_column is None


def test_the_task_registry_declares_its_facts():
    assert set(TASKS) == {"single_label", "pair", "multi_label", "regression", "tagging"}
    assert get_task("pair").inputs == ("text", "text_pair")
    assert get_task("pair").few_shot_unit == "class"
    field = next(row for row in TrainConfig.describe() if row["name"] == "task")
    choices = ("auto", "single_label", "pair", "multi_label", "regression", "tagging")
    assert tuple(field["choices"]) == choices


def test_a_sentence_pair_file_loads_as_pairs_not_as_one_column(pairs):
    bundle = load_data(pairs)
    assert bundle.task == "pair"
    assert bundle.task_reason == "two text columns named sentence1 and sentence2"
    assert (bundle.text_column, bundle.text_pair_column) == ("sentence1", "sentence2")
    assert all(isinstance(row, tuple) and len(row) == 2 for row in bundle.train.texts)
    assert bundle.summary()["task"] == "pair"


def test_a_second_column_given_makes_a_pair_task(tmp_path):
    path = write_pairs(tmp_path / "p.csv", ("left", "right"))
    assert load_data(path).task == "single_label"
    bundle = load_data(path, text_column="left", text_pair_column="right")
    assert bundle.task == "pair" and bundle.task_reason == "second text column given: right"
    assert bundle.train.texts[0][1]


def test_single_label_can_be_chosen_over_detected_pairs(pairs):
    bundle = load_data(pairs, task="single_label", text_column="sentence1")
    assert bundle.task == "single_label"
    assert isinstance(bundle.train.texts[0], str)


def test_a_missing_pair_column_is_named(pairs):
    with pytest.raises(DataError, match="column 'sentence3' not found; available columns"):
        load_data(pairs, text_pair_column="sentence3")


def test_the_pair_task_without_two_text_columns_says_how(tmp_path):
    path = write_pairs(tmp_path / "p.csv", ("left", "right"))
    with pytest.raises(DataError, match="the pair task needs two text columns.*text_pair_column"):
        load_data(path, task="pair")


def test_a_validation_file_without_the_pair_column_is_named(tmp_path):
    write_pairs(tmp_path / "train.csv")
    write_pairs(tmp_path / "dev.csv", ("sentence1", "other"), rows=20)
    with pytest.raises(DataError, match="the validation split has no column 'sentence2'"):
        load_data(tmp_path)


def test_stored_runs_without_a_task_read_as_single_label():
    from core.config import stored_run_config

    assert stored_run_config({"data": "x.csv"}).task == "single_label"
    assert stored_run_config({"data": "x.csv", "task": "auto"}).task == "auto"
    assert TrainConfig(data="x.csv").task == "auto"
    with pytest.raises(Exception, match="task"):
        TrainConfig(data="x.csv", task="tagging-someday")


# ----------------------------------------------------------------------------- encoding
def test_pairs_are_encoded_with_the_tokenizers_pair_input(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokens = tokenize(tokenizer, [("a good film", "it was bad")], 32, "pair")
    row = tokens[0]
    sep = tokenizer.sep_token_id
    assert row["input_ids"].count(sep) == 2
    first_sep = row["input_ids"].index(sep)
    assert set(row["token_type_ids"][: first_sep + 1]) == {0}
    assert set(row["token_type_ids"][first_sep + 1 :]) == {1}
    long = tokenize(tokenizer, [("word " * 100, "other " * 5)], 16, "pair")[0]
    assert len(long["input_ids"]) == 16 and long["token_type_ids"][-1] == 1  # longest first


# ----------------------------------------------------------------------------- training
@pytest.mark.train
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_and_predicts_a_pair_task(method, pairs, tmp_path, tiny_model_dir):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded
    from core.training.artifacts import read_meta

    config = train_config(tmp_path, pairs, tiny_model_dir, method=method, max_steps=2)
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["task"] == "pair"
    adapter = Path(summary["adapter_path"])
    assert read_meta(adapter)["task"] == "pair"
    predictor = Predictor(precision="fp32")
    try:
        rows = predictor.predict([("a good film", "a great film")], [adapter])[str(adapter)]
        assert rows[0]["label"] in {"same", "other"}
        with pytest.raises(InputError, match="this run classifies text pairs: give both texts"):
            predictor.predict(["a good film"], [adapter])
    finally:
        predictor.close()


@pytest.mark.train
def test_a_single_text_run_refuses_a_pair(reviews, tmp_path, tiny_model_dir):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded

    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir, max_steps=1))
    assert summary["task"] == "single_label"
    predictor = Predictor(precision="fp32")
    try:
        with pytest.raises(InputError, match="this run classifies single texts"):
            predictor.predict([("a", "b")], [summary["adapter_path"]])
    finally:
        predictor.close()


@pytest.mark.train
def test_rte_trains_as_pairs_and_both_sentences_reach_the_model(tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded
    from core.training.launch import create_trainer

    rte = shared_path("rte")
    bundle = load_data(rte, max_train_rows=64, eval_sample_rows=32)
    assert bundle.task == "pair" and bundle.text_pair_column == "sentence2"
    assert bundle.label_names == ["entailment", "not_entailment"]
    config = train_config(
        tmp_path, rte, tiny_model_dir, max_train_rows=64, eval_sample_rows=32, max_steps=3
    )
    trainer = create_trainer(config)
    trainer.setup()
    row = trainer.train_features[0]
    sep = trainer.tokenizer.sep_token_id
    assert row["input_ids"].count(sep) == 2
    assert row["token_type_ids"][-1] == 1 and row["token_type_ids"][0] == 0
    summary = train_unrecorded(
        train_config(
            tmp_path / "b", rte, tiny_model_dir, max_train_rows=64, eval_sample_rows=32, max_steps=3
        )  # fmt: skip
    )
    assert summary["status"] == "succeeded" and summary["task"] == "pair"
