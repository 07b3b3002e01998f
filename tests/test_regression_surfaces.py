"""A score through every surface: the command line, the model server, the exported folder,
Try it and the app's HTTP API, the Monitor's diagnosis, Compare, sweeps and few-shot curves."""

from __future__ import annotations

import pytest
import torch
from conftest import ask_server, serving_model, train_config
from regression_data import write_scores

from app.server.api import predict
from app.tabs.monitor.diagnose import error_rows, summary_text
from app.tabs.monitor.diagnose_plots import confusion_figure
from app.tabs.tryit.predict import predict_text
from core.analysis import mistakes
from core.analysis.compare import compare_row, compare_table, evaluate_transfer
from core.errors import InputError


@pytest.fixture()
def score_run(state, tiny_model_dir, tmp_path_factory) -> int:
    """A recorded short LoRA run scoring pairs, in the app's store."""
    from core import runs
    from core.config import TrainConfig

    data = write_scores(tmp_path_factory.getbasetemp() / "scores-app.csv", pairs=True)
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="lora",
                         task="regression", batch_size=16, max_steps=3, eval_every=1,
                         precision="fp32")  # fmt: skip
    handle = runs.start(state.store, config)
    summary = handle.wait(120)
    assert summary["status"] == "succeeded", summary.get("error")
    return handle.run_id


@pytest.mark.train
def test_try_it_and_the_api_show_the_number(state, score_run):
    table, chart = predict_text(state, "good film", [score_run], "great story")
    value = float(table.iloc[0, 2])
    assert table.iloc[0, 1] == f"{value:.3f}" and chart.data[0].y[0] == pytest.approx(
        value, abs=1e-3
    )
    with pytest.raises(InputError, match="give both texts"):
        predict_text(state, "good film", [score_run])
    (row,) = predict(state, "good film", [score_run], "great story")
    assert set(row) == {"run_id", "run", "label", "score"}


@pytest.mark.train
def test_the_diagnosis_plots_predicted_against_true_and_lists_largest_errors(state, score_run):
    preds = mistakes.run_predictions(state.store, score_run, predictor=state.predictor())
    assert preds.scores and mistakes.per_class(preds) == []
    points = mistakes.confusion(preds)
    assert len(points["truth"]) == len(points["predicted"]) == len(preds)
    figure = confusion_figure(points)
    assert list(figure.data[0].x) == points["truth"]
    errors = mistakes.mistakes(preds)
    assert [e["confidence"] for e in errors] == sorted(
        (e["confidence"] for e in errors), reverse=True
    )
    table, _, _ = error_rows(state, score_run)
    assert list(table.columns)[-1] == "Error" and len(table) == len(preds)
    assert "Pearson" in summary_text(state, preds) and "largest errors first" in summary_text(
        state, preds
    )


@pytest.mark.train
def test_compare_scores_a_second_dataset_of_scores(state, score_run, tmp_path_factory):
    from app.tabs.compare.logic import chosen_task

    other = write_scores(tmp_path_factory.getbasetemp() / "scores-other.csv", seed=4, pairs=True)
    assert chosen_task(state, [score_run]) == "regression"
    result = evaluate_transfer(state.store, score_run, other, predictor=state.predictor())
    assert set(result) >= {"pearson", "spearman", "mse"} and "accuracy" not in result
    row = compare_row(state.store, score_run)
    assert row["dev_accuracy"] is None and row["dev_score"] is not None
    _, cells = compare_table([row])
    assert cells[0][6].startswith("r=") and cells[0][7].startswith("r=")


def test_sweeps_and_curves_rank_a_score_by_pearson():
    from core.fewshot.results import _headline
    from core.sweep.run import best_result

    runs = [
        {"status": "succeeded", "eval_accuracy": None, "score": 0.2, "run_id": 1},
        {"status": "succeeded", "eval_accuracy": None, "score": 0.7, "run_id": 2},
    ]
    assert best_result(runs)["run_id"] == 2
    assert _headline({"task": "regression", "eval_pearson": 0.6}) == 0.6
    assert _headline({"eval_accuracy": 0.9}) == 0.9


@pytest.mark.train
def test_the_command_line_prints_the_score_metrics(tmp_path, tiny_model_dir, capsys):
    from core.train import main

    data = write_scores(tmp_path / "scores.csv")
    argv = ["--data", str(data), "--model", str(tiny_model_dir), "--method", "head_only",
            "--task", "regression", "--max-steps", "1", "--precision", "fp32",
            "--out", str(tmp_path / "a")]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "task: regression (chosen: regression)" in err and "eval Pearson" in err


@pytest.fixture(scope="module")
def score_adapter(tmp_path_factory, tiny_model_dir):
    from core.runs import train_unrecorded

    folder = tmp_path_factory.mktemp("score-run")
    data = write_scores(folder / "scores.csv")
    summary = train_unrecorded(train_config(folder, data, tiny_model_dir, method="lora",
                                            task="regression", max_steps=2))  # fmt: skip
    assert summary["status"] == "succeeded", summary.get("error")
    return summary["adapter_path"]


@pytest.mark.train
def test_the_server_answers_a_score(score_adapter):
    with serving_model(score_adapter) as (port, _):
        status, health = ask_server(port, "/health")
        assert status == 200 and (health["task"], health["inputs"]) == ("regression", ["text"])
        status, data = ask_server(port, "/predict", {"texts": ["good film"]})
        assert status == 200 and set(data["predictions"][0]) == {"label", "score"}
        status, data = ask_server(port, "/predict", {"texts": ["a"], "text_pairs": ["b"]})
        assert status == 400 and "single texts" in data["error"]


@pytest.mark.train
def test_the_exported_folder_is_a_regression_model(score_adapter, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.analysis.predict import Predictor
    from core.export import export_merged

    out = export_merged(score_adapter, tmp_path / "merged")
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    assert model.config.problem_type == "regression" and model.config.num_labels == 1
    batch = AutoTokenizer.from_pretrained(out)(["good film"], return_tensors="pt")
    with torch.no_grad():
        plain = float(model(**batch).logits.squeeze(-1)[0])
    ours = Predictor(precision="fp32").predict(["good film"], [score_adapter])[score_adapter][0]
    assert ours["score"] == pytest.approx(plain, abs=1e-4)
    assert "logits.squeeze(-1)" in (out / "README.md").read_text()


def test_the_preview_reads_the_score_column_when_the_task_is_chosen(state, tmp_path_factory):
    from app.tabs.train.view import show_dataset

    data = write_scores(tmp_path_factory.getbasetemp() / "scores-preview.csv", pairs=True)
    *_, text, label, pair, summary = show_dataset(state, str(data), task="regression")
    assert (text["value"], label["value"], pair["value"]) == ("sentence1", "score", "sentence2")
    assert "Task: **regression** (chosen: regression (two text columns named" in summary


def test_the_monitor_plots_a_score_runs_pearson_where_accuracy_goes():
    from app.tabs.monitor.plots import training_figure

    rows = [{"step": s, "split": "eval", "name": "eval_pearson", "value": s / 10} for s in (1, 2)]
    fig = training_figure({"#1 score": rows})
    (trace,) = [t for t in fig.data if "Pearson" in t.name]
    assert list(trace.y) == [0.1, 0.2]
