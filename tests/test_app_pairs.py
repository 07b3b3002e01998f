"""Text pairs in the app: the Train tab's preview tells the task and why, the form carries the
task and the second column, Try it and the HTTP API judge a pair, batch files give two columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_pairs import write_pairs

from app.server.api import predict
from app.shared import forms
from app.shared.actions import pair_runs
from app.tabs.train.view import show_dataset
from app.tabs.tryit.predict import predict_file, predict_text, read_pairs
from core.errors import InputError


def test_the_preview_tells_the_detected_task_and_its_reason(state, tmp_path_factory):
    data = write_pairs(tmp_path_factory.getbasetemp() / "paraphrase.csv")
    *_, text, label, pair, summary = show_dataset(state, str(data))
    assert (text["value"], label["value"], pair["value"]) == ("sentence1", "label", "sentence2")
    assert "Task: **pair** (two text columns named sentence1 and sentence2)." in summary
    *_, pair, summary = show_dataset(state, str(data), "sentence1", task="single_label")
    assert pair["value"] == "" and "Task: **single_label** (chosen: single_label)." in summary
    state.lang = "zh"
    assert "两个文本列，名为 sentence1 和 sentence2" in show_dataset(state, str(data))[-1]


def test_the_form_carries_the_task_and_the_second_column():
    values = {"data": "d.csv", "method": "lora", "model": "m", "task": "pair",
              "text_column": "q", "text_pair_column": "a", "label_column": "y"}  # fmt: skip
    out = forms.config_values(values)
    assert (out["task"], out["text_pair_column"]) == ("pair", "a")
    names = {row["name"] for row in forms.common_rows()}
    assert not names & {"task", "text_pair_column"}


def test_batch_files_with_two_text_columns_are_read_as_pairs(tmp_path):
    path = write_pairs(tmp_path / "batch.csv", ("premise", "hypothesis"), rows=4)
    texts, pairs = read_pairs(path)
    assert len(texts) == len(pairs) == 4 and all(pairs)
    single = tmp_path / "one.csv"
    single.write_text("text\nhello\n", encoding="utf-8")
    assert read_pairs(single) == (["hello"], None)


@pytest.fixture()
def pair_run(state, tiny_model_dir, tmp_path_factory) -> int:
    from core import runs
    from core.config import TrainConfig

    data = write_pairs(tmp_path_factory.getbasetemp() / "pairs-app.csv")
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="head_only",
                         batch_size=16, max_steps=2, precision="fp32")  # fmt: skip
    handle = runs.start(state.store, config)
    summary = handle.wait(120)
    assert summary["status"] == "succeeded", summary.get("error")
    return handle.run_id


@pytest.mark.train
def test_try_it_and_the_api_judge_a_pair_and_refuse_half_of_one(state, pair_run, tmp_path):
    assert pair_runs(state, [pair_run]) and not pair_runs(state, [])
    table, _ = predict_text(state, "a good film", [pair_run], "a great film")
    assert len(table) == 1
    with pytest.raises(InputError, match="this run classifies text pairs: give both texts"):
        predict_text(state, "a good film", [pair_run])
    (row,) = predict(state, "a good film", [pair_run], text_pair="a lovely film")
    assert row["label"] in {"same", "other"} and row["run_id"] == pair_run
    with pytest.raises(InputError, match="this run classifies text pairs"):
        predict(state, "a good film", [pair_run])
    batch = write_pairs(tmp_path / "batch.csv", rows=3)
    with open(predict_file(state, str(batch), [pair_run]), encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:2] == ["text", "text_pair"] and len(rows) == 4
    assert Path(batch).exists()


@pytest.mark.train
def test_the_diagnosis_shows_both_texts_of_each_mistake(state, pair_run):
    from app.tabs.monitor.diagnose import error_rows, predictions, shown

    preds = predictions(state, pair_run)
    assert preds.texts and all(isinstance(t, tuple) and len(t) == 2 for t in preds.texts)
    assert shown(("a", "b")) == "a ‖ b"
    table, path, _ = error_rows(state, pair_run)
    assert all(" ‖ " in cell for cell in table.iloc[:, 1])
    with open(path, encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    assert header[:3] == (["row", "text", "text_pair"] if len(table) else header[:3])


@pytest.mark.train
def test_compare_measures_a_pair_run_on_pairs_and_refuses_single_texts(
    state, pair_run, tmp_path, reviews
):
    from core.analysis.compare import evaluate_transfer
    from core.errors import DataError

    other = write_pairs(tmp_path / "other.csv", ("premise", "hypothesis"), rows=40)
    result = evaluate_transfer(state.store, pair_run, other, predictor=state.predictor())
    assert result["rows"] == 40 and 0 <= result["accuracy"] <= 1
    with pytest.raises(DataError, match="was trained on pair data, and .* holds single_label"):
        evaluate_transfer(state.store, pair_run, reviews, predictor=state.predictor())


def test_few_shot_samples_k_pairs_per_class(tmp_path):
    from core.data.loading import load_data

    bundle = load_data(write_pairs(tmp_path / "p.csv"), shots_per_class=3)
    assert bundle.task == "pair" and len(bundle.train) == 6
    assert sorted(bundle.train.labels) == [0, 0, 0, 1, 1, 1]
    assert all(isinstance(t, tuple) for t in bundle.train.texts)
