"""Where a finished run goes wrong: predictions on its validation rows, the confusion matrix,
per-class figures, the mistakes, disagreements between two runs, the cache and every refusal."""

from __future__ import annotations

import os
import shutil

import pytest
from conftest import make_tiny_model_dir, write_labelled
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

import core.runs
from core.analysis.mistakes import (
    PredictionCache,
    RunPredictions,
    confusion,
    disagreements,
    mistakes,
    per_class,
    run_predictions,
    summary,
)
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import AdapterLoadError, ConfigError, DataError, RunStateError
from core.training.inputs import load_run_data
from core.training.recording import adapter_folder
from storage.errors import RunNotFoundError
from storage.store import Store

LABELS = ["negative", "neutral", "positive"]


def _train(store: Store, data, model, method: str, steps: int = 4, **extra) -> int:
    config = TrainConfig(data=str(data), model=str(model), method=method, batch_size=16,
                         max_steps=steps, log_every=2, validation_fraction=0.3, precision="fp32",
                         **extra)  # fmt: skip
    handle = core.runs.start(store, config)
    run_id = handle.run_id
    result = handle.wait(120)
    assert result["status"] == "succeeded", result.get("error")
    return run_id


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two runs on the same three-label data, one on two-label data; the store and folder."""
    folder = tmp_path_factory.mktemp("mistakes")
    three = write_labelled(folder / "data" / "three.csv", LABELS, 90, 3)
    two = write_labelled(folder / "data" / "two.csv", ["negative", "positive"], 60, 4)
    model3 = make_tiny_model_dir(folder / "tiny3", "bert", num_labels=3)
    model2 = make_tiny_model_dir(folder / "tiny2", "bert", num_labels=2)
    store = Store(folder / "home" / "studio.db")
    ids = {
        "head": _train(store, three, model3, "head_only", lr=0.05),
        "lora": _train(store, three, model3, "lora", steps=12, lr=0.02),
        "two": _train(store, two, model2, "head_only"),
    }
    return store, ids, folder


@pytest.fixture(scope="module")
def predictor():
    return Predictor(precision="fp32")


def predictions(runs, predictor, key: str, **kwargs) -> RunPredictions:
    store, ids, _ = runs
    return run_predictions(store, ids[key], predictor=predictor, cache=PredictionCache(), **kwargs)


def fake(truth, predicted, confidence, labels=("a", "b", "c"), digest="d") -> RunPredictions:
    texts = [f"text {i}" for i in range(len(truth))]
    return RunPredictions(7, "r", list(labels), texts, list(truth), list(predicted),
                          list(confidence), "data.csv", digest, len(truth))  # fmt: skip


def copy_run(store: Store, run_id: int, **config) -> int:
    """A finished run record sharing ``run_id``'s adapter and metrics, with other settings."""
    run = store.get_run(run_id)
    new = store.create_run(name="copy", method=run["method"], base_model=run["base_model"],
                           dataset="d", config={**run["config"], **config})  # fmt: skip
    store.finish_run(new, "succeeded", metrics=run["metrics"])
    return new


# ----------------------------------------------------------------------------- figures
@pytest.mark.train
def test_the_matrix_and_per_class_figures_match_sklearn_on_the_validation_rows(runs, predictor):
    store, ids, _ = runs
    preds = predictions(runs, predictor, "head")
    config = TrainConfig.from_dict(store.get_run(ids["head"])["config"])
    validation = load_run_data(config).validation  # split as training split it
    assert preds.texts == validation.texts and preds.label_names == LABELS
    assert len(preds) == preds.validation_rows == 27
    folder = adapter_folder(store, ids["head"])
    expected = [LABELS.index(r["label"]) for r in predictor.predict(preds.texts, [folder])[
        str(folder)]]  # fmt: skip
    assert preds.predicted == expected and preds.truth == validation.labels

    matrix = confusion(preds)
    assert matrix["labels"] == LABELS
    assert matrix["counts"] == confusion_matrix(validation.labels, expected).tolist()
    for counts, shares in zip(matrix["counts"], matrix["normalised"], strict=True):
        assert sum(shares) == pytest.approx(1.0)
        assert shares == pytest.approx([c / sum(counts) for c in counts])
    precision, recall, f1, support = precision_recall_fscore_support(
        validation.labels, expected, labels=[0, 1, 2], zero_division=0
    )
    table = per_class(preds)
    assert [row["label"] for row in table] == LABELS
    assert [row["support"] for row in table] == support.tolist() == [9, 9, 9]
    assert [row["precision"] for row in table] == pytest.approx(precision.tolist())
    assert [row["recall"] for row in table] == pytest.approx(recall.tolist())
    assert [row["f1"] for row in table] == pytest.approx(f1.tolist())
    wrong = sum(t != p for t, p in zip(preds.truth, preds.predicted, strict=True))
    assert summary(preds)["wrong"] == wrong == len(mistakes(preds))


def test_a_label_without_examples_gives_a_zero_row_not_a_division_error():
    matrix = confusion(fake([0, 0, 1], [0, 2, 1], [0.9, 0.8, 0.7]))
    assert matrix["counts"] == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert matrix["normalised"][2] == [0.0, 0.0, 0.0]
    assert matrix["normalised"][0] == pytest.approx([0.5, 0.0, 0.5])


# ----------------------------------------------------------------------------- mistakes
def test_mistakes_come_most_confident_first_and_filter_by_true_and_predicted_label():
    preds = fake([0, 0, 1, 2, 2, 1], [1, 0, 2, 0, 1, 0], [0.6, 0.99, 0.9, 0.6, 0.95, 0.5])
    rows = mistakes(preds)
    assert [r["row"] for r in rows] == [4, 2, 0, 3, 5]  # ties (0.6) keep the row order
    assert rows[0] == {"row": 4, "text": "text 4", "true": "c", "predicted": "b",
                       "confidence": 0.95}  # fmt: skip
    assert [r["row"] for r in mistakes(preds, true_label="c")] == [4, 3]
    assert [r["row"] for r in mistakes(preds, predicted_label="a")] == [3, 5]
    assert [r["row"] for r in mistakes(preds, true_label="c", predicted_label="a")] == [3]
    assert mistakes(preds, true_label="a", predicted_label="c") == []


def test_an_unknown_filter_label_names_the_runs_labels():
    with pytest.raises(ValueError, match=r"true label 'x' is not one of #7 r's labels: a, b, c"):
        mistakes(fake([0], [1], [0.5]), true_label="x")
    with pytest.raises(ValueError, match="predicted label 'y' is not one of"):
        mistakes(fake([0], [1], [0.5]), predicted_label="y")


# ----------------------------------------------------------------------------- two runs
def test_two_runs_on_the_same_rows_show_where_they_disagree(runs, predictor):
    first, second = predictions(runs, predictor, "head"), predictions(runs, predictor, "lora")
    assert first.digest == second.digest
    rows = disagreements(first, second)
    assert rows  # the two runs learned differently
    differ = [i for i in range(len(first)) if first.predicted[i] != second.predicted[i]]
    assert sorted(r["row"] for r in rows) == differ
    for row in rows:
        i = row["row"]
        assert row["text"] == first.texts[i] and row["true"] == LABELS[first.truth[i]]
        assert row["first"] == LABELS[first.predicted[i]] != row["second"]
        assert row["second_confidence"] == second.confidence[i]
    strongest = [max(r["first_confidence"], r["second_confidence"]) for r in rows]
    assert strongest == sorted(strongest, reverse=True)


def test_disagreements_are_sorted_and_a_run_agrees_with_itself():
    a = fake([0, 1, 2], [0, 1, 2], [0.9, 0.5, 0.6])
    b = fake([0, 1, 2], [1, 1, 0], [0.7, 0.9, 0.8])
    assert [r["row"] for r in disagreements(a, b)] == [0, 2]
    assert disagreements(a, a) == []


def test_two_runs_on_different_datasets_are_refused(runs, predictor):
    first, other = predictions(runs, predictor, "head"), predictions(runs, predictor, "two")
    with pytest.raises(DataError, match=r"were validated on different rows .*three\.csv, 27 "
                       r"rows; .*two\.csv, 18 rows\)\. Pick two runs trained on the same "
                       "dataset"):  # fmt: skip
        disagreements(first, other)


# ----------------------------------------------------------------------------- refusals
def test_a_run_that_has_not_finished_or_failed_is_refused(runs, predictor):
    store, ids, _ = runs
    config = store.get_run(ids["head"])["config"]
    waiting = store.create_run(name="w", method="lora", base_model="m", dataset="d",
                               config=config)  # fmt: skip
    with pytest.raises(RunStateError, match=r"run #\d+ \(w\) is still queued; where it goes "
                       "wrong can be seen once it has finished"):  # fmt: skip
        run_predictions(store, waiting, predictor=predictor)
    store.finish_run(waiting, "failed", error="boom")
    with pytest.raises(RunStateError, match="is failed and saved no trained adapter to look at; "
                       "pick a run that succeeded or was stopped"):  # fmt: skip
        run_predictions(store, waiting, predictor=predictor)
    with pytest.raises(RunNotFoundError):
        run_predictions(store, 9999, predictor=predictor)


def test_a_run_without_an_adapter_is_refused(runs, predictor):
    store, ids, _ = runs
    bare = store.create_run(name="bare", method="lora", base_model="m", dataset="d",
                            config=store.get_run(ids["head"])["config"])  # fmt: skip
    store.finish_run(bare, "succeeded", metrics={"eval_accuracy": 0.5})
    with pytest.raises(AdapterLoadError, match=r"run #\d+ \(bare\) has no saved adapter to "
                       r"predict with .*pick a run that saved one"):  # fmt: skip
        run_predictions(store, bare, predictor=predictor)


def test_a_multi_task_run_is_refused(runs, predictor):
    store, ids, folder = runs
    data = str(folder / "data" / "two.csv")
    multi = copy_run(store, ids["two"], data="", tasks={"a": data, "b": data})
    with pytest.raises(RunStateError, match="trained on several tasks at once"):
        run_predictions(store, multi, predictor=predictor)


def test_a_dataset_that_is_gone_is_named(runs, predictor, tmp_path):
    store, ids, folder = runs
    moved = tmp_path / "three.csv"
    shutil.copyfile(folder / "data" / "three.csv", moved)
    copy = copy_run(store, ids["head"], data=str(moved))
    assert len(run_predictions(store, copy, predictor=predictor, cache=PredictionCache())) == 27
    moved.unlink()
    with pytest.raises(
        DataError,
        match=rf"the dataset of run #{copy} \(copy\), .*three\.csv, can "
        r"no longer be read: file or folder not found: .*\. Put the dataset back",
    ):
        run_predictions(store, copy, predictor=predictor, cache=PredictionCache())


def _edit_validation_text(path, text: str) -> None:
    lines = path.read_text().splitlines()
    body = [line for line in lines[1:] if text not in line]
    path.write_text("\n".join([lines[0], *body, f"{text} and more words,neutral"]) + "\n")


def test_a_changed_dataset_is_refused(runs, predictor, tmp_path):
    store, ids, folder = runs
    data = tmp_path / "three.csv"
    shutil.copyfile(folder / "data" / "three.csv", data)
    copy = copy_run(store, ids["head"], data=str(data))
    first = predictions(runs, predictor, "head").texts[0]
    _edit_validation_text(data, first)  # one text changed: same rows per label
    with pytest.raises(DataError, match=rf"the dataset of run #{copy} \(copy\), .*three\.csv, has "
                       "changed since the run trained: its validation rows are no longer the "
                       "ones the run was evaluated on"):  # fmt: skip
        run_predictions(store, copy, predictor=predictor, cache=PredictionCache())


def test_a_run_without_a_digest_is_checked_by_its_rows_per_label(runs, predictor, tmp_path):
    store, ids, folder = runs
    data = tmp_path / "three.csv"
    shutil.copyfile(folder / "data" / "three.csv", data)
    copy = copy_run(store, ids["head"], data=str(data))
    metrics = dict(store.get_run(copy)["metrics"])
    del metrics["validation_digest"]
    store.update_run(copy, metrics=metrics)
    assert len(run_predictions(store, copy, predictor=predictor, cache=PredictionCache())) == 27
    with data.open("a") as handle:  # 30 more rows: 9 more validation rows
        handle.writelines(f"plain okay film {i},neutral\n" for i in range(30))
    with pytest.raises(DataError, match="has changed since the run trained"):
        run_predictions(store, copy, predictor=predictor, cache=PredictionCache())


# ----------------------------------------------------------------------------- cache, sample
def test_predictions_are_cached_until_the_dataset_changes(runs, predictor, tmp_path):
    store, ids, folder = runs
    data = tmp_path / "three.csv"
    shutil.copyfile(folder / "data" / "three.csv", data)
    copy = copy_run(store, ids["head"], data=str(data))
    cache = PredictionCache()
    first = run_predictions(store, copy, predictor=predictor, cache=cache)
    assert run_predictions(store, copy, predictor=predictor, cache=cache) is first
    stamp = data.stat().st_mtime_ns + 5_000_000_000
    os.utime(data, ns=(stamp, stamp))  # the file looks changed: predicted again, one entry
    again = run_predictions(store, copy, predictor=predictor, cache=cache)
    assert again is not first and again.predicted == first.predicted and len(cache) == 1


def test_the_cache_is_bounded_by_runs_and_by_characters():
    cache = PredictionCache(max_runs=2, max_chars=25)
    entries = [fake([0], [1], [0.5]) for _ in range(3)]  # 6 characters of text each
    for i, entry in enumerate(entries):
        cache.put(("db", i, "x"), entry)
    assert len(cache) == 2 and cache.get(("db", 0, "x")) is None
    assert cache.get(("db", 2, "x")) is entries[2]
    cache.put(("db", 3, "x"), fake([0] * 5, [1] * 5, [0.5] * 5))  # 30 characters: alone
    assert len(cache) == 1 and cache.chars() == 30


def test_a_large_validation_split_is_sampled_the_same_way_for_every_run(runs, predictor):
    first = predictions(runs, predictor, "head", max_rows=12)
    second = predictions(runs, predictor, "lora", max_rows=12)
    assert len(first) == 12 and first.validation_rows == 27
    assert first.texts == second.texts
    assert sorted(first.truth) == [0] * 4 + [1] * 4 + [2] * 4
    with pytest.raises(ConfigError, match="max_rows"):
        predictions(runs, predictor, "head", max_rows=3)
