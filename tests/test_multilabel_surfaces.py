"""Several labels per text through every surface: the Train tab's preview, Try it (with its
editable thresholds), the app's HTTP API, the Monitor's diagnosis, Compare, the command line,
the model server and the exported model folder."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from conftest import ask_server, serving_model
from multilabel_data import MOODS, write_ids, write_joined

from app.server.api import predict
from app.tabs.train.view import show_dataset
from app.tabs.tryit.predict import predict_text
from app.tabs.tryit.thresholds import threshold_table
from core.analysis import mistakes
from core.analysis.compare import compare_row, evaluate_transfer
from core.errors import DataError, InputError


@pytest.fixture()
def ml_run(state, tiny_model_dir, tmp_path_factory) -> int:
    """A recorded short LoRA run on joined labels, in the app's store."""
    from core import runs
    from core.config import TrainConfig

    data = write_joined(tmp_path_factory.getbasetemp() / "moods-app.csv")
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="lora",
                         batch_size=16, max_steps=3, eval_every=1, precision="fp32")  # fmt: skip
    handle = runs.start(state.store, config)
    summary = handle.wait(120)
    assert summary["status"] == "succeeded", summary.get("error")
    return handle.run_id


# ----------------------------------------------------------------------------- Train tab
def test_the_preview_tells_several_labels_and_counts_each(state, tmp_path_factory):
    data = write_ids(tmp_path_factory.getbasetemp() / "moods-ids")
    _, _, _, label, _, summary = show_dataset(state, str(data))
    assert label["value"] == "label"
    assert "Task: **multi_label** (the label column 'label' holds several labels" in summary
    assert "3 labels: happy, movie, sad." in summary  # the names file's names, not the ids


# ----------------------------------------------------------------------------- Try it, API
@pytest.mark.train
def test_try_it_shows_and_applies_edited_thresholds(state, ml_run):
    table = threshold_table(state, [ml_run])
    assert list(table.iloc[:, 1]) == sorted(MOODS)
    result, _ = predict_text(state, "good great film", [ml_run])
    every = table.copy()
    every.iloc[:, 2] = 0.0
    result, chart = predict_text(state, "good great film", [ml_run], thresholds=every)
    assert result.iloc[0, 1] == ", ".join(sorted(MOODS))
    none = table.copy()
    none.iloc[:, 2] = 1.0
    result, _ = predict_text(state, "good great film", [ml_run], thresholds=none)
    assert result.iloc[0, 1] == "(no label)"
    bad = table.astype(object)
    bad.iloc[0, 2] = "high"
    with pytest.raises(InputError, match=r"The threshold of happy for #\d+ .* is 'high'; give"):
        predict_text(state, "good great film", [ml_run], thresholds=bad)
    assert threshold_table(state, []).empty


@pytest.mark.train
def test_the_app_api_answers_labels_and_thresholds(state, ml_run):
    (row,) = predict(state, "good great film", [ml_run])
    assert set(row["thresholds"]) == set(MOODS) and set(row["probabilities"]) == set(MOODS)
    assert row["label"] == ", ".join(row["labels"])


# ----------------------------------------------------------------------------- diagnosis, compare
@pytest.mark.train
def test_the_diagnosis_is_per_label(state, ml_run):
    preds = mistakes.run_predictions(state.store, ml_run, predictor=state.predictor())
    assert preds.sets and all(isinstance(t, tuple) for t in preds.truth)
    table = mistakes.per_class(preds)
    assert [row["label"] for row in table] == sorted(MOODS)
    matrix = mistakes.confusion(preds)
    assert len(matrix["counts"]) == 3 and all(len(r) == 3 for r in matrix["counts"])
    wrong = mistakes.mistakes(preds, true_label="happy")
    assert all("happy" in row["true"].split(", ") for row in wrong)
    from app.tabs.monitor.diagnose import class_table, error_rows

    assert list(class_table(state, preds).iloc[:, 0]) == sorted(MOODS)
    shown, csv_path, _ = error_rows(state, ml_run, "happy")
    assert len(shown) == len(wrong) and pd.read_csv(csv_path)["true_label"].str.len().min() > 0
    figures = mistakes.summary(preds)
    assert figures["wrong"] == sum(
        t != p for t, p in zip(preds.truth, preds.predicted, strict=True)
    )


@pytest.mark.train
def test_compare_scores_a_second_multi_label_dataset_and_refuses_one_label(
    state, ml_run, tmp_path_factory, reviews
):
    other = write_joined(tmp_path_factory.getbasetemp() / "moods-other.csv", seed=5)
    result = evaluate_transfer(state.store, ml_run, other, predictor=state.predictor())
    assert 0 <= result["accuracy"] <= 1 and 0 <= result["macro_f1"] <= 1
    row = compare_row(state.store, ml_run)
    assert row["dev_score"] == row["dev_f1"]
    with pytest.raises(DataError, match="was trained on multi_label data, and .* single_label"):
        evaluate_transfer(state.store, ml_run, reviews, predictor=state.predictor())


# ----------------------------------------------------------------------------- CLI, serve, export
@pytest.mark.train
def test_the_command_line_tells_several_labels(tmp_path, tiny_model_dir, capsys):
    from core.train import main

    data = write_joined(tmp_path / "moods.csv")
    argv = ["--data", str(data), "--model", str(tiny_model_dir), "--method", "head_only",
            "--max-steps", "1", "--precision", "fp32", "--out", str(tmp_path / "a")]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "task: multi_label (the label column 'labels' holds several labels per row" in err
    assert "eval macro-F1" in err and "exact match" in err


@pytest.fixture(scope="module")
def ml_adapter(tmp_path_factory, tiny_model_dir):
    from conftest import train_config

    from core.runs import train_unrecorded

    folder = tmp_path_factory.mktemp("ml-run")
    data = write_joined(folder / "moods.csv")
    summary = train_unrecorded(train_config(folder, data, tiny_model_dir, method="lora",
                                            max_steps=2))  # fmt: skip
    assert summary["status"] == "succeeded", summary.get("error")
    return summary["adapter_path"]


@pytest.mark.train
def test_the_server_answers_labels_with_their_thresholds(ml_adapter):
    with serving_model(ml_adapter) as (port, predictor):
        status, health = ask_server(port, "/health")
        assert status == 200 and health["task"] == "multi_label"
        assert set(health["thresholds"]) == set(MOODS)
        status, data = ask_server(port, "/predict", {"texts": ["good film", "sad"]})
        assert status == 200 and len(data["predictions"]) == 2
        first = data["predictions"][0]
        assert set(first) == {"label", "labels", "score", "probabilities", "thresholds"}
        expected = predictor.predict(["good film"], [ml_adapter])[ml_adapter][0]
        assert first["labels"] == expected["labels"]


@pytest.mark.train
def test_the_exported_folder_is_a_multi_label_classifier(ml_adapter, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.analysis.predict import Predictor
    from core.export import export_merged

    out = export_merged(ml_adapter, tmp_path / "merged")
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    assert model.config.problem_type == "multi_label_classification"
    tokenizer = AutoTokenizer.from_pretrained(out)
    batch = tokenizer(["good film"], truncation=True, return_tensors="pt")
    with torch.no_grad():
        plain = model(**batch).logits.sigmoid()[0].tolist()
    ours = Predictor(precision="fp32").predict(["good film"], [ml_adapter])[ml_adapter][0]
    names = [model.config.id2label[i] for i in range(len(plain))]
    assert [ours["probabilities"][n] for n in names] == pytest.approx(plain, abs=1e-4)
    card = (out / "README.md").read_text()
    assert "logits.sigmoid()" in card and "threshold" in card


def test_old_runs_and_single_label_predictions_keep_their_shape():
    from core.tasks import get_task

    row = get_task(None).present([0.2, 0.8], ["a", "b"], {})
    assert row == {"label": "b", "score": 0.8, "probabilities": {"a": 0.2, "b": 0.8}}
