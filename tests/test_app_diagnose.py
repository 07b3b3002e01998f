"""Monitor's "Where it goes wrong": the heatmap on its own, the handlers with the app state, the
refusals a person sees, and the accordion's components."""

from __future__ import annotations

import csv

import gradio as gr
import pytest
from conftest import make_tiny_model_dir, new_run, write_labelled

import core.runs
from app.shared.errors import friendly
from app.shared.state import AppState
from app.tabs.monitor import diagnose as diagnose_view
from app.tabs.monitor.diagnose import disagreement_rows, empty_tables, error_rows
from app.tabs.monitor.diagnose_plots import confusion_figure
from app.tabs.monitor.diagnose_view import diagnose, run_pickers, why_mistake
from app.tabs.monitor.tab import build_monitor_tab
from core.analysis import mistakes
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import DataError, RunStateError
from storage.store import Store

LABELS = ["negative", "neutral", "positive"]
MATRIX = {"labels": ["a", "b"], "counts": [[3, 1], [0, 4]], "normalised": [[0.75, 0.25], [0, 1]]}


# ----------------------------------------------------------------------------- the heatmap
def test_the_heatmap_shows_counts_with_true_labels_down_from_the_top():
    fig = confusion_figure(MATRIX)
    heat = fig.data[0]
    assert heat.type == "heatmap" and [list(row) for row in heat.z] == [[3, 1], [0, 4]]
    assert list(heat.x) == list(heat.y) == ["a", "b"]
    assert heat.texttemplate == "%{z:,}" and heat.zmax == 4
    assert fig.layout.yaxis.autorange == "reversed"  # the first label at the top
    assert fig.layout.xaxis.title.text == "Predicted label"
    assert fig.layout.yaxis.title.text == "True label"


def test_the_normalised_heatmap_shows_each_true_labels_shares_and_the_counts_on_hover():
    heat = confusion_figure(MATRIX, normalised=True).data[0]
    assert [list(row) for row in heat.z] == [[0.75, 0.25], [0, 1]]
    assert heat.texttemplate == "%{z:.0%}" and heat.zmax == 1
    assert [list(row) for row in heat.customdata] == [[3, 1], [0, 4]]


def test_the_heatmap_speaks_chinese_and_is_empty_without_a_matrix():
    fig = confusion_figure(MATRIX, lang="zh")
    assert fig.layout.xaxis.title.text == "预测标签" and fig.layout.yaxis.title.text == "真实标签"
    empty = confusion_figure(None)
    assert not empty.data and empty.layout.annotations[0].text == "No data yet"


# ----------------------------------------------------------------------------- handlers
def _train(store, data, model, method: str, steps: int, **extra) -> int:
    config = TrainConfig(data=str(data), model=str(model), method=method, batch_size=16,
                         max_steps=steps, log_every=2, validation_fraction=0.3,
                         precision="fp32", **extra)  # fmt: skip
    handle = core.runs.start(store, config)
    run_id = handle.run_id
    assert handle.wait(120)["status"] == "succeeded"
    return run_id


@pytest.fixture(scope="module")
def trained_runs(tmp_path_factory):
    """Finished runs (two on the same three-label data, one on other data) in their own store,
    inside this session's temporary folder, which the ``state`` fixture serves."""
    folder = tmp_path_factory.mktemp("diagnose")
    three = write_labelled(folder / "three.csv", LABELS, 90, 3)
    two = write_labelled(folder / "two.csv", ["negative", "positive"], 60, 4)
    model3 = make_tiny_model_dir(folder / "tiny3", "bert", num_labels=3)
    model2 = make_tiny_model_dir(folder / "tiny2", "bert", num_labels=2)
    store = Store(folder / "home" / "studio.db")
    return store, [
        _train(store, three, model3, "head_only", 4, lr=0.05),
        _train(store, three, model3, "lora", 12, lr=0.02),
        _train(store, two, model2, "head_only", 4),
    ]


@pytest.fixture()
def runs(state, trained_runs):
    """The trained runs recorded again in the app's store (same adapters, settings, metrics)."""
    source, ids = trained_runs
    state._predictor = Predictor(precision="fp32")
    mistakes._cache.clear()
    copied = []
    for run_id in ids:
        run = source.get_run(run_id)
        new = state.store.create_run(name=run["name"], method=run["method"],
                                     base_model=run["base_model"], dataset=run["dataset"],
                                     config=run["config"])  # fmt: skip
        state.store.finish_run(new, "succeeded", metrics=run["metrics"])
        copied.append(new)
    return copied


def _cells(table) -> list[list]:
    return table.values.tolist()


@pytest.mark.train
def test_showing_a_run_fills_the_heatmap_the_label_table_and_the_mistakes(state, runs):
    summary, figure, classes, true, predicted, errors, path, note, why, shown = diagnose(
        state, runs[0], False
    )
    preds = mistakes.run_predictions(state.store, runs[0])
    wrong = mistakes.mistakes(preds)
    assert summary == (f"**#{runs[0]} head_only on three.csv**: 27 validation rows looked at, "
                       f"{len(wrong)} wrong (accuracy {(27 - len(wrong)) / 27:.1%}).")  # fmt: skip
    assert [list(row) for row in figure.data[0].z] == mistakes.confusion(preds)["counts"]
    assert list(classes.columns) == ["Label", "Precision", "Recall", "F1", "Examples"]
    assert [row[0] for row in _cells(classes)] == LABELS
    assert [row[4] for row in _cells(classes)] == [9, 9, 9]
    assert true["choices"] == [("any", ""), *((name, name) for name in LABELS)]
    assert true["value"] == predicted["value"] == ""
    assert list(errors.columns) == ["Row", "Text", "True label", "Predicted", "Confidence"]
    assert [row[1] for row in _cells(errors)] == [row["text"] for row in wrong]
    assert all(row[2] != row[3] for row in _cells(errors))
    with open(path, encoding="utf-8-sig", newline="") as handle:
        saved = list(csv.DictReader(handle))
    assert [row["text"] for row in saved] == [row["text"] for row in wrong]
    assert set(saved[0]) == {"row", "text", "true_label", "predicted_label", "confidence"}
    assert (note, why, shown) == ("", "", runs[0])


def test_the_toggle_shows_shares_of_each_true_label(state, runs):
    figure = diagnose(state, runs[0], True)[1]
    for row in figure.data[0].z:
        assert sum(row) == pytest.approx(1.0)


def test_filters_narrow_the_mistakes_and_the_csv(state, runs):
    preds = mistakes.run_predictions(state.store, runs[0])
    label = next(r["true"] for r in mistakes.mistakes(preds))
    table, path, note = error_rows(state, runs[0], label, "")
    assert _cells(table) and {row[2] for row in _cells(table)} == {label}
    with open(path, encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == len(table)
    table, _, note = error_rows(state, runs[0], label, label)  # right by definition
    assert table.empty and note == "No mistakes with these labels."


def test_a_long_list_of_mistakes_shows_the_most_confident_and_says_so(state, runs, monkeypatch):
    monkeypatch.setattr(diagnose_view, "SHOWN_ROWS", 2)
    total = len(mistakes.mistakes(mistakes.run_predictions(state.store, runs[0])))
    table, path, note = error_rows(state, runs[0])
    assert len(table) == 2
    shown = f"The table shows the 2 most confident of {total} mistakes; the CSV holds them all."
    assert note == shown
    with open(path, encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == total


def test_two_runs_on_the_same_rows_show_their_disagreements(state, runs):
    table, note = disagreement_rows(state, runs[0], runs[1])
    first = mistakes.run_predictions(state.store, runs[0])
    second = mistakes.run_predictions(state.store, runs[1])
    expected = mistakes.disagreements(first, second)
    assert note == "" and len(table) == len(expected) > 0
    assert list(table.columns) == [
        "Row", "Text", "True label", f"#{runs[0]} head_only on three.csv predicts",
        f"#{runs[0]} head_only on three.csv confidence", f"#{runs[1]} lora on three.csv predicts",
        f"#{runs[1]} lora on three.csv confidence",
    ]  # fmt: skip
    assert [row[1] for row in _cells(table)] == [row["text"] for row in expected]
    empty, hint = disagreement_rows(state, runs[0], None)
    assert empty.empty and hint == "Pick a second run to see where the two disagree."


def test_the_same_run_twice_and_runs_on_different_data_are_refused(state, runs):
    with pytest.raises(ValueError, match="Pick a second run other than the first"):
        disagreement_rows(state, runs[0], runs[0])
    with pytest.raises(DataError, match="were validated on different rows"):
        disagreement_rows(state, runs[0], runs[2])


def test_no_run_picked_is_explained_in_the_apps_language(state, runs):
    with pytest.raises(ValueError, match="Pick a finished run to see where it goes wrong"):
        diagnose(state, None, False)
    chinese = AppState(store=state.store, data_dir=state.data_dir, lang="zh")
    with pytest.raises(ValueError, match="请选择一个已完成的运行"):
        diagnose(chinese, "", False)


def test_a_dataset_outside_the_apps_folders_is_not_read(state, runs, tmp_path):
    elsewhere = AppState(store=state.store, data_dir=tmp_path / "data")
    with pytest.raises(DataError, match=rf"Run #{runs[0]} was trained on .*three\.csv, which is "
                       "outside the folders this app reads datasets from; start the app with a "
                       "--data-dir that holds it"):  # fmt: skip
        diagnose(elsewhere, runs[0], False)


def test_a_run_still_training_reaches_the_person_as_a_message(state, runs):
    config = state.store.get_run(runs[0])["config"]
    waiting = state.store.create_run(name="w", method="lora", base_model="m", dataset="d",
                                     config=config)  # fmt: skip
    with pytest.raises(RunStateError):
        diagnose(state, waiting, False)
    guarded = friendly(state.lang)(diagnose)
    with pytest.raises(gr.Error, match="is still queued; where it goes wrong can be seen once"):
        guarded(state, waiting, False)


def test_clicking_a_mistake_shows_the_words_behind_it(state, runs):
    table = diagnose(state, runs[0], False)[5]
    row = _cells(table)[0]
    event = gr.SelectData(None, {"index": [0, 1], "value": row[1], "row_value": row})
    page = why_mistake(state, runs[0], event)
    assert page.count('class="ptune-why"') == 1
    assert f"#{runs[0]} head_only on three.csv</b> predicts <b>{row[3]}</b>" in page
    assert why_mistake(state, None, event) == ""


def test_the_pickers_list_finished_runs_and_keep_a_pick_that_still_exists(state, runs):
    state.store.finish_run(state.store.create_run(name="x", method="lora", base_model="m",
                                                  dataset="d", config={}), "failed")  # fmt: skip
    first, second = run_pickers(state, runs[1], 999)
    assert [value for _, value in first["choices"]] == runs[::-1]  # newest first, no failed run
    assert first["value"] == runs[1]
    assert second["choices"][0] == ("none", "") and second["value"] == ""
    state.store.delete_run(runs[1])
    first, second = run_pickers(state, runs[1], runs[0])
    assert first["value"] is None and second["value"] == runs[0]


def test_the_accordion_has_its_stable_ids(state):
    with gr.Blocks() as demo:
        build_monitor_tab(state, demo)
    ids = {block.elem_id for block in demo.blocks.values()}
    expected = ("monitor-confusion", "monitor-errors", "monitor-diagnose-run",
                "monitor-diagnose-other", "monitor-per-class", "monitor-errors-true",
                "monitor-errors-predicted", "monitor-errors-csv", "monitor-disagree")  # fmt: skip
    assert set(expected) <= ids


# ----------------------------------------------------------------------------- opening the section
def _finished(state, name: str, status: str = "succeeded") -> int:
    run_id = new_run(state.store, name=name)
    state.store.finish_run(run_id, status, metrics={"eval_accuracy": 0.7})
    return run_id


def test_the_first_picker_starts_on_the_run_the_monitor_shows_when_it_can_predict(state):
    older, shown, newest = (_finished(state, name) for name in ("older", "shown", "newest"))
    first, second = run_pickers(state, None, None, preselect=True, shown=shown)
    assert first["value"] == shown and second["value"] == ""
    first, _ = run_pickers(state, older, None, preselect=True, shown=shown)
    assert first["value"] == older  # a run the person picked stays picked
    failed = _finished(state, "failed", "failed")
    first, _ = run_pickers(state, None, None, preselect=True, shown=failed)
    assert first["value"] == newest  # the run shown cannot predict: the newest that can
    first, _ = run_pickers(state, None, None, preselect=True, shown=None)
    assert first["value"] == newest


def test_without_a_finished_run_the_first_picker_stays_empty(state):
    running = new_run(state.store, name="running")
    state.store.start_run(running)
    first, _ = run_pickers(state, None, None, preselect=True, shown=running)
    assert first["choices"] == [] and first["value"] is None


def test_the_monitor_opens_the_section_on_its_run(state):
    _finished(state, "older")
    shown = _finished(state, "latest")
    with gr.Blocks() as demo:
        tab = build_monitor_tab(state, demo)
    drawn = tab.refresh(*(None for _ in tab.refresh_inputs))
    assert drawn[tab.refresh_outputs.index(tab.diagnose["run"])]["value"] == shown


def test_empty_tables_show_their_column_headers(state):
    classes, errors, disagree = empty_tables(state)
    assert list(classes.columns) == ["Label", "Precision", "Recall", "F1", "Examples"]
    assert list(errors.columns) == ["Row", "Text", "True label", "Predicted", "Confidence"]
    assert list(disagree.columns) == [
        "Row", "Text", "True label", "First run predicts", "First run confidence",
        "Second run predicts", "Second run confidence",
    ]  # fmt: skip
    empty, _ = disagreement_rows(state, 1, None)
    assert list(empty.columns) == list(disagree.columns)
    with gr.Blocks() as demo:
        tab = build_monitor_tab(state, demo)
    for name, table in (("classes", classes), ("errors", errors), ("disagree", disagree)):
        value = tab.diagnose[name].value
        assert value["headers"] == list(table.columns) and value["data"] == [], name
    chinese = AppState(store=state.store, data_dir=state.data_dir, lang="zh")
    assert list(empty_tables(chinese)[0].columns)[0] == "标签"
