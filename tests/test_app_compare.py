"""The Compare tab: table and chart of picked runs, generalisation, warnings instead of crashes."""

from __future__ import annotations

import gradio as gr
import pytest
from conftest import second_dataset

from app.shared.state import AppState
from app.tabs.compare.logic import evaluate_generalisation, show_comparison
from app.tabs.compare.plots import comparison_figure
from app.tabs.compare.tab import build_compare_tab
from core import runs
from core.analysis.compare import compare_rows, dataset_key
from core.config import TrainConfig


@pytest.fixture(scope="module")
def state(trained):
    return AppState(store=trained[0], data_dir=trained[2])  # the test datasets' folder


@pytest.mark.train
def test_picked_runs_give_a_table_and_a_chart_of_every_figure(state, trained):
    _, ids, _ = trained
    table, figure, warnings = show_comparison(state, ids)
    assert warnings == []
    assert list(table.columns) == [
        "Run", "Method", "Trainable share (parameters)", "Adapter on disk", "Train samples/s",
        "Time to best accuracy", "Dev accuracy",
    ]  # fmt: skip
    assert list(table["Method"]) == ["ptuning_v2", "lora"]
    rows = compare_rows(state.store, ids)
    bars = [trace for trace in figure.data if trace.type == "bar"]
    share = next(b for b in bars if list(b.y) == [r["trainable_share"] for r in rows])
    assert list(share.x) == [f"#{i} ptuning_v2" for i in ids[:1]] + [f"#{ids[1]} lora"]
    assert figure.layout.yaxis.type == "log" and figure.layout.yaxis2.type == "log"
    scatter = next(trace for trace in figure.data if trace.type == "scatter")
    assert list(scatter.x) == [r["trainable_share"] for r in rows]
    assert list(scatter.y) == [r["dev_accuracy"] for r in rows]


def test_the_table_speaks_the_apps_language(trained):
    table, _, _ = show_comparison(AppState(store=trained[0], lang="zh"), trained[1])
    assert "验证集准确率" in table.columns and "方法" in table.columns


def test_no_picked_run_warns_and_shows_an_empty_chart(state):
    table, figure, warnings = show_comparison(state, [])
    assert warnings == ["Pick one or more finished runs to compare."]
    assert table.empty and not figure.data
    assert figure.layout.annotations[0].text == "No data yet"


@pytest.mark.train
def test_a_failed_run_is_left_out_with_a_warning(state, trained, tiny_model_dir):
    _, ids, folder = trained
    config = TrainConfig(data=str(folder / "missing.csv"), model=str(tiny_model_dir), name="bad")
    handle = runs.start(state.store, config)
    failed = handle.run_id
    handle.wait(60)
    try:
        table, _, warnings = show_comparison(state, [ids[0], failed])
        assert len(table) == 1
        assert warnings == [f"Run #{failed} (bad) is failed and has no results; it is left out "
                            "of the comparison."]  # fmt: skip
        _, _, warnings, summary = evaluate_generalisation(
            state, [failed], str(second_dataset(folder, "x", ["negative", "positive"])), 20
        )
        assert warnings == [f"Run #{failed} (bad) is failed and has no results; it is left out "
                            "of the comparison."]  # fmt: skip
        assert summary == ""
    finally:
        state.store.delete_run(failed)


def test_generalisation_adds_a_column_and_says_what_it_evaluated(state, trained):
    _, ids, folder = trained
    target = second_dataset(folder, "reviews-b", ["negative", "positive"])
    table, figure, warnings, summary = evaluate_generalisation(state, ids, str(target), 1000)
    assert warnings == []
    assert summary == f"Evaluated 2 run(s) on {folder.name}/reviews-b: 30 rows of its test split."
    column = f"Accuracy on {target.parent.name}/reviews-b"
    cached = [
        r["transfer"][dataset_key(target)]["accuracy"] for r in compare_rows(state.store, ids)
    ]
    assert list(table[column]) == [f"{100 * a:.1f}%" for a in cached]
    accuracy = next(t for t in figure.data if (t.name or "").startswith(f"#{ids[0]} "))
    assert list(accuracy.x) == ["dev", f"{folder.name}/reviews-b"]
    assert list(accuracy.y)[1] == pytest.approx(cached[0])


def test_a_run_with_other_labels_warns_and_the_others_are_evaluated(state, trained):
    _, ids, folder = trained
    target = second_dataset(folder, "with-neutral", ["neutral", "positive"])
    table, _, warnings, summary = evaluate_generalisation(state, ids, str(target), 1000)
    assert len(warnings) == 1 and f"Run #{ids[0]}" in warnings[0]
    assert "['neutral', 'positive']" in warnings[0]
    assert summary.startswith("Evaluated 1 run(s)")
    assert list(table[f"Accuracy on {target.parent.name}/with-neutral"])[0] == ""


def test_an_unknown_or_missing_dataset_warns_and_keeps_the_table(state, trained):
    _, ids, folder = trained
    table, _, warnings, summary = evaluate_generalisation(
        state, ids, str(folder / "no-such-data"), 100
    )
    assert warnings == [f"File or folder not found: {folder / 'no-such-data'}"]
    assert len(table) == 2 and summary == ""
    _, _, warnings, _ = evaluate_generalisation(state, ids, "", 100)
    assert warnings == ["Pick a second dataset to evaluate the runs on."]
    _, _, warnings, _ = evaluate_generalisation(state, [], "x.csv", 100)
    assert warnings == ["Pick one or more finished runs to compare."]


def test_the_wired_handlers_warn_instead_of_raising(state, trained):
    _, ids, folder = trained
    with gr.Blocks() as demo:
        c = build_compare_tab(state, demo)
    with pytest.warns(UserWarning, match="Pick one or more finished runs"):
        table, figure, status = c.on_compare([])
    assert status == "- Pick one or more finished runs to compare."
    with pytest.warns(UserWarning, match="File or folder not found"):
        table, _, status = c.on_evaluate(ids, str(folder / "gone.csv"), 50)
    assert len(table) == 2 and status.startswith("- File or folder not found")
    runs, datasets = c.on_refresh([ids[1], 999], None)
    assert runs["value"] == [ids[1]] and {v for _, v in runs["choices"]} >= set(ids)
    assert datasets["choices"][0][0].startswith("Demo")


def test_an_empty_comparison_figure_says_so():
    rows = [{"run_id": 1, "name": "x", "method": "lora", "status": "succeeded",
             "trainable_share": None, "adapter_bytes": None, "train_samples_per_second": None,
             "seconds_to_best": None, "dev_accuracy": None, "transfer": {}}]  # fmt: skip
    assert not comparison_figure(rows).data


def test_the_app_has_a_compare_tab(tmp_path):
    from app import create_app

    demo = create_app(db=tmp_path / "studio.db")
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert {"tab-compare", "compare-runs", "compare-dataset", "compare-evaluate"} <= ids
    assert {"compare-table", "compare-plot"} <= ids


def test_near_equal_sizes_do_not_look_different():
    def row(run_id, size):
        return {"run_id": run_id, "name": f"r{run_id}", "method": "lora", "status": "succeeded",
                "trainable_share": 0.648, "adapter_bytes": size, "train_samples_per_second": 250.0,
                "seconds_to_best": 30.0, "dev_accuracy": 0.9, "transfer": {}}  # fmt: skip

    figure = comparison_figure([row(1, 607_443), row(2, 607_449), row(3, 4_300)])
    low, high = figure.layout.yaxis2.range  # adapter size, log axis in decades
    assert high - low >= 2 and low < 3.6 < 5.8 < high  # 4.3 KB and 593 KB both inside
    sizes = next(trace for trace in figure.data if trace.type == "scatter").marker.size
    assert sizes[0] == pytest.approx(sizes[1], abs=0.01) and sizes[2] < sizes[0]
