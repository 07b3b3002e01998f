"""Measured comparison of runs and generalisation to a dataset a run was not trained on."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from conftest import second_dataset, write_labelled

from core import runs
from core.analysis.compare import (
    COLUMNS,
    compare_rows,
    compare_table,
    dataset_key,
    evaluate_transfer,
    load_transfer_data,
    time_to_best,
    transfer_split,
)
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import AdapterLoadError, ConfigError, DataError
from core.training.artifacts import folder_bytes
from core.training.recording import adapter_folder
from storage.errors import RunNotFoundError
from storage.store import Store


@pytest.fixture(scope="module")
def predictor():
    return Predictor(precision="fp32")


# ----------------------------------------------------------------------------- comparison rows
@pytest.mark.train
def test_rows_hold_share_adapter_size_speed_and_dev_accuracy(trained):
    store, ids, _ = trained
    rows = compare_rows(store, ids)
    assert [r["run_id"] for r in rows] == ids and [r["method"] for r in rows] == [
        "ptuning_v2",
        "lora",
    ]
    for row in rows:
        run = store.get_run(row["run_id"])
        summary = run["metrics"]
        assert row["status"] == "succeeded"
        assert row["trainable_share"] == pytest.approx(
            100 * run["trainable_params"] / run["total_params"]
        )
        assert 0 < row["trainable_share"] < 100
        assert row["adapter_bytes"] > 0
        assert row["adapter_bytes"] == folder_bytes(Path(summary["adapter_path"]))
        assert row["train_samples_per_second"] == summary["train_samples_per_second"] > 0
        assert row["dev_accuracy"] == summary["eval_accuracy"]
        assert row["transfer"] == {}


def test_time_to_best_is_measured_from_the_start_to_the_best_evaluation(trained):
    store, ids, _ = trained
    for row in compare_rows(store, ids):
        run = store.get_run(row["run_id"])
        evals = [m for m in store.read_metrics(row["run_id"], split="eval")
                 if m["name"] == "eval_accuracy"]  # fmt: skip
        assert [m["step"] for m in evals] == [1, 2, 3]
        assert row["best_step"] == run["metrics"]["best_step"]  # the trainer's own choice
        best = next(m for m in evals if m["step"] == row["best_step"])
        started = datetime.fromisoformat(run["started_at"]).timestamp()
        finished = datetime.fromisoformat(run["finished_at"]).timestamp()
        assert row["seconds_to_best"] == pytest.approx(best["time"] - started)
        assert 0 < row["seconds_to_best"] < finished - started + 0.01


def test_time_to_best_prefers_the_earliest_of_equal_evaluations_and_skips_a_resume():
    run = {"started_at": "2026-01-01T00:00:00.000+00:00"}
    start = datetime.fromisoformat(run["started_at"]).timestamp()
    rows = [
        {"step": 10, "name": "eval_accuracy", "value": 0.7, "time": start + 5},
        {"step": 20, "name": "eval_loss", "value": 0.1, "time": start + 9},
        {"step": 20, "name": "eval_accuracy", "value": 0.9, "time": start + 9},
        {"step": 30, "name": "eval_accuracy", "value": 0.9, "time": start + 14},
    ]
    assert time_to_best(run, rows) == (20, pytest.approx(9.0))
    resumed = {"started_at": "2026-01-01T00:00:10.000+00:00"}  # the best came before the resume
    assert time_to_best(resumed, rows) == (20, None)
    assert time_to_best(run, []) == (None, None)


def test_an_unknown_run_id_is_named(trained):
    store, _, _ = trained
    with pytest.raises(RunNotFoundError, match="no run with id 999"):
        compare_rows(store, [999])


def test_a_failed_run_gives_a_row_without_results(trained, tiny_model_dir):
    store, _, folder = trained
    config = TrainConfig(data=str(folder / "missing.csv"), model=str(tiny_model_dir))
    handle = runs.start(store, config)
    run_id = handle.run_id
    handle.wait(60)
    row = compare_rows(store, [run_id])[0]
    assert row["status"] == "failed" and "not found" in row["error"]
    assert row["dev_accuracy"] is None and row["adapter_bytes"] is None
    with pytest.raises(AdapterLoadError, match=f"run #{run_id} .* is failed"):
        evaluate_transfer(store, run_id, second_dataset(folder, "any", ["negative", "positive"]))
    store.delete_run(run_id)


# ----------------------------------------------------------------------------- generalisation
def test_transfer_accuracy_matches_the_predictions_label_by_name(trained, predictor):
    store, ids, folder = trained
    target = second_dataset(folder, "two-labels", ["negative", "positive"])
    for run_id in ids:  # the LoRA run knows three labels: 'positive' is its third
        result = evaluate_transfer(store, run_id, target, predictor=predictor)
        bundle = load_transfer_data(target)
        texts = bundle.test.texts
        truth = [bundle.label_names[i] for i in bundle.test.labels]
        folder_path = adapter_folder(store, run_id)
        predicted = [r["label"] for r in predictor.predict(texts, [folder_path])[str(folder_path)]]
        expected = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
        assert result["split"] == "test" and result["rows"] == 30
        assert result["accuracy"] == pytest.approx(expected)
        assert 0 <= result["macro_f1"] <= 1
        assert result["dataset"] == dataset_key(target) and result["label"].endswith("two-labels")
        cached = compare_rows(store, [run_id])[0]["transfer"][dataset_key(target)]
        assert cached == {"accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
                          "rows": 30}  # fmt: skip


def test_recomputing_replaces_the_cached_value(trained, predictor):
    store, ids, folder = trained
    target = second_dataset(folder, "recomputed", ["negative", "positive"], test_rows=60)
    first = evaluate_transfer(store, ids[0], target, max_rows=20, predictor=predictor)
    assert first["rows"] == 20
    evaluate_transfer(store, ids[0], target, max_rows=50, predictor=predictor)
    rows = [m for m in store.read_metrics(ids[0], split="transfer")
            if m["name"].endswith(dataset_key(target))]  # fmt: skip
    assert sorted(m["name"].split(":")[0] for m in rows) == ["accuracy", "macro_f1", "rows"]
    assert compare_rows(store, [ids[0]])[0]["transfer"][dataset_key(target)]["rows"] == 50


def test_a_run_trained_further_no_longer_shows_the_old_value(trained, predictor):
    store, ids, folder = trained
    target = second_dataset(folder, "stale", ["negative", "positive"])
    evaluate_transfer(store, ids[0], target, predictor=predictor)
    run = store.get_run(ids[0])
    store.update_run(ids[0], metrics={**run["metrics"], "steps": run["metrics"]["steps"] + 5})
    try:
        assert dataset_key(target) not in compare_rows(store, [ids[0]])[0]["transfer"]
    finally:
        store.update_run(ids[0], metrics=run["metrics"])


def test_the_table_has_one_column_per_second_dataset(trained, predictor):
    store, ids, folder = trained
    target = second_dataset(folder, "table", ["negative", "positive"])
    result = evaluate_transfer(store, ids[1], target, predictor=predictor)
    rows = compare_rows(store, ids)
    columns, cells = compare_table(rows)
    assert columns[: len(COLUMNS)] == list(COLUMNS)
    column = columns.index(f"transfer:{dataset_key(target)}")
    assert cells[1][column] == f"{100 * result['accuracy']:.1f}%"
    assert cells[0][0].startswith(f"#{ids[0]} ") and cells[0][1] == "ptuning_v2"
    first = rows[0]
    assert cells[0][2] == f"{first['trainable_share']:.3g}% ({first['trainable_params']:,})"
    assert cells[0][5] == f"{first['seconds_to_best']:.1f} s (step {first['best_step']})"
    assert cells[0][6] == f"{100 * first['dev_accuracy']:.1f}%"
    assert cells[0][column] == "", "not evaluated on that dataset"


def test_a_single_file_is_evaluated_whole(trained, predictor):
    store, ids, folder = trained
    single = write_labelled(folder / "single" / "reviews.csv", ["negative", "positive"], 44, 3)
    assert transfer_split(load_transfer_data(single))[0] == "all"
    result = evaluate_transfer(store, ids[0], single, predictor=predictor)
    assert (result["split"], result["rows"]) == ("all", 44)


def test_labels_the_run_does_not_know_are_refused_with_both_label_sets(trained, predictor):
    store, ids, folder = trained
    target = second_dataset(folder, "digits", ["0", "1"])
    with pytest.raises(DataError, match=r"predicts the labels \['negative', 'positive'\], but "
                       r".*digits has the labels \['0', '1'\].*rename its labels"):  # fmt: skip
        evaluate_transfer(store, ids[0], target, predictor=predictor)
    assert compare_rows(store, [ids[0]])[0]["transfer"].get(dataset_key(target)) is None


def test_the_training_data_itself_is_refused(trained, predictor):
    store, ids, folder = trained
    with pytest.raises(DataError, match="was trained on .*two.csv; .* pick another one"):
        evaluate_transfer(store, ids[0], folder / "data" / "two.csv", predictor=predictor)


def test_a_missing_dataset_and_a_bad_row_cap_are_explained(trained, predictor):
    store, ids, folder = trained
    with pytest.raises(DataError, match="file or folder not found"):
        evaluate_transfer(store, ids[0], folder / "nowhere.csv", predictor=predictor)
    with pytest.raises(ConfigError, match="max_rows=5 is out of range"):
        evaluate_transfer(store, ids[0], folder / "data" / "two.csv", max_rows=5)


# ----------------------------------------------------------------------------- benchmark
@pytest.mark.train
def test_the_benchmark_writes_the_comparison_and_precision_sections(tmp_path, tiny_model_dir):
    from bench.compare import main

    data = write_labelled(tmp_path / "train.csv", ["negative", "positive"], 60, 0)
    other = second_dataset(tmp_path, "other", ["negative", "positive"])
    page = tmp_path / "BENCHMARKS.md"
    page.write_text("# Benchmarks\n\nIntro stays.\n\n<!-- bench/compare.py methods start -->\n"
                    "old table\n<!-- bench/compare.py methods end -->\n")  # fmt: skip
    transfer, runs = f"{other},{tmp_path / 'gone'}", tmp_path / "runs"
    argv = ["--methods", "head_only,lora", "--precision-methods", "lora", "--model",
            str(tiny_model_dir), "--data", str(data), "--transfer", transfer, "--max-steps", "2",
            "--budget-minutes", "1", "--in-process", "--db", str(tmp_path / "bench.db"), "--runs",
            str(runs), "--output", str(page)]  # fmt: skip
    assert main(argv) == 0
    text = page.read_text()
    assert text.startswith("# Benchmarks\n\nIntro stays.") and "old table" not in text
    for tag in ("methods", "precision"):
        assert text.count(f"<!-- bench/compare.py {tag} start -->") == 1
    assert f"Command: `python -m bench.compare {' '.join(argv)}`" in text
    assert f"{tmp_path.name}/other: 30 rows of its test split" in text
    assert "gone: file or folder not found" in text
    store = Store(tmp_path / "bench.db")
    runs = {run["name"]: run for run in store.list_runs()}
    assert {"head_only on train.csv", "lora on train.csv", "lora on train.csv, fp32"} <= set(runs)
    lora = compare_rows(store, [runs["lora on train.csv"]["id"]])[0]
    verdict = "yes" if 0.1 <= lora["trainable_share"] <= 1 else "no"
    line = next(row for row in text.splitlines() if row.startswith(f"| #{lora['run_id']} "))
    assert f"| {lora['trainable_share']:.3g}% ({lora['trainable_params']:,}) |" in line
    assert "| LoRA 0.1-1% | " + verdict in line
    assert f"| {100 * lora['transfer'][dataset_key(other)]['accuracy']:.1f}% |" in line
    assert f"| accuracy on {tmp_path.name}/other |" in text
    fp32 = compare_rows(store, [runs["lora on train.csv, fp32"]["id"]])[0]
    assert fp32["precision"] == "no"
    precision_line = next(row for row in text.splitlines() if row.startswith("| lora | "))
    assert f"| {100 * fp32['dev_accuracy']:.1f}% |" in precision_line
    assert f"#{fp32['run_id']} / #" in precision_line and "x |" in precision_line


def test_the_benchmark_refuses_unknown_methods_and_missing_data(tmp_path, capsys):
    from bench.compare import claim, main

    assert main(["--methods", "lora,magic", "--output", str(tmp_path / "b.md")]) == 2
    assert "unknown methods ['magic']" in capsys.readouterr().err
    assert main(["--data", str(tmp_path / "nothing"), "--output", str(tmp_path / "b.md")]) == 2
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "b.md").exists()
    assert claim("ptuning_v2", 0.327) == ("P-Tuning 0.01-0.1%", "no (above)")
    assert claim("adapter", 2.6) == ("Adapter 1-3%", "yes")
    assert claim("full", 100.0) == ("", "")


@pytest.mark.slow
def test_the_benchmark_trains_each_run_in_its_own_process(tmp_path, tiny_model_dir):
    from bench.compare import main

    data = write_labelled(tmp_path / "train.csv", ["negative", "positive"], 60, 0)
    other = second_dataset(tmp_path, "other", ["negative", "positive"])
    page = tmp_path / "BENCHMARKS.md"
    db, runs = tmp_path / "bench.db", tmp_path / "runs"
    argv = ["--methods", "head_only", "--precision-methods", "", "--model", str(tiny_model_dir),
            "--data", str(data), "--transfer", str(other), "--max-steps", "2", "--db", str(db),
            "--runs", str(runs), "--output", str(page)]  # fmt: skip
    assert main(argv) == 0
    run = Store(db).list_runs()[0]
    assert run["status"] == "succeeded" and run["pid"] != os.getpid()
    assert (runs / "auto" / "head_only" / "adapter" / "ptune_adapter.json").is_file()
    assert f"| #{run['id']} head_only on train.csv | head_only |" in page.read_text()
    assert "bench/compare.py precision" not in page.read_text()
