"""The Sweep tab: form checks, results table and figure from the store, polling, a real sweep."""

from __future__ import annotations

import gradio as gr
import pytest
from conftest import write_reviews

from app.i18n import SERVER_TEXT
from app.shared import actions
from app.shared.errors import FormProblems
from app.shared.state import DEMO_DATA
from app.tabs.sweep.logic import lrs_text, results_table, start_sweep, stop_sweep, sweep_from_form
from app.tabs.sweep.plots import sweep_figure
from app.tabs.sweep.view import SWEEP
from core import sweep
from storage.store import Store

SKIP = gr.skip()


def form(**values):
    base = {"data": str(DEMO_DATA), "model": "all-MiniLM-L6-v2", "method": "ptuning_v2",
            "lengths": "10,15,20,25,30", "lrs": "", "max_steps": "", "budget": 1.0,
            "name": ""}  # fmt: skip
    return {**base, **values}


# ----------------------------------------------------------------------------- form
def test_the_form_lists_every_problem_at_once(state, tmp_path):
    values = form(lengths="10,x", lrs="0.01,2,y", budget=0, data=str(tmp_path / "gone.csv"))
    with pytest.raises(FormProblems) as caught:
        sweep_from_form(state, values)
    problems = caught.value.problems
    assert len(problems) == 5, problems
    assert any("prompt lengths: 'x' is not a whole number" in p for p in problems)
    assert any("learning rates: 'y' is not a number" in p for p in problems)
    assert any("learning rates: 2 is out of range" in p for p in problems)
    assert any(p.startswith("Time budget (minutes): time_budget_minutes=0") for p in problems)
    assert any("gone.csv" in p for p in problems)


def test_lengths_out_of_range_and_too_long_for_the_model_are_reported(state, tiny_model_dir):
    with pytest.raises(FormProblems, match="prompt lengths are empty"):
        sweep_from_form(state, form(lengths=" ", lrs="z"))
    with pytest.raises(FormProblems, match="300 is out of range for P-Tuning v2"):
        sweep_from_form(state, form(lengths="10,300"))
    values = form(model=str(tiny_model_dir), method="prompt_tuning", lengths="4,60")
    with pytest.raises(FormProblems, match="the prompt takes 60 of the model's 64 positions"):
        sweep_from_form(state, values)
    with pytest.raises(FormProblems, match="has no prompt length to sweep"):
        sweep_from_form(state, form(method="lora"))


def test_the_form_becomes_a_sweep(state):
    config = sweep_from_form(state, form(lengths="20, 10,20", max_steps="5", name=" mine "))
    assert config.method == "ptuning_v2" and config.lengths == (20, 10)
    assert config.lrs == sweep.default_lrs("ptuning_v2")  # empty: around the default
    assert config.base.max_steps == 5 and config.base.time_budget_minutes == 1.0
    assert config.sweep_name() == "mine"
    assert lrs_text("ptuning_v2") == "0.0033,0.01,0.03"
    assert lrs_text("prompt_tuning") == "0.01,0.03,0.09"


def test_stop_without_a_sweep_says_so(state):
    assert stop_sweep(state) == "No sweep is running."


# ----------------------------------------------------------------------------- results
def stored_sweep(store: Store) -> tuple[int, dict[tuple[int, float], int]]:
    """A finished 2x2 sweep in the store: three scored runs and one that failed."""
    sweep_id = store.create_sweep(name="grid", method="ptuning_v2", dataset="d.csv",
                                  grid={"num_virtual_tokens": [10, 20], "lr": [0.003, 0.01]},
                                  config={})  # fmt: skip
    scores = {(10, 0.003): 0.71, (10, 0.01): 0.84, (20, 0.003): None, (20, 0.01): 0.79}
    ids = {}
    for (length, lr), accuracy in scores.items():
        config = {
            "lr": lr,
            "method": "ptuning_v2",
            "method_options": {"num_virtual_tokens": length},
        }
        run_id = store.create_run(name=sweep.point_name(sweep_id, length, lr), method="ptuning_v2",
                                  base_model="m", dataset="d.csv", config=config,
                                  sweep_id=sweep_id)  # fmt: skip
        if accuracy is None:
            store.finish_run(run_id, "failed", error="out of memory: lower the batch size")
        else:
            metrics = {"eval_accuracy": accuracy, "eval_f1": accuracy - 0.01, "train_seconds": 65}
            store.finish_run(run_id, "succeeded", metrics=metrics)
        ids[(length, lr)] = run_id
    store.finish_sweep(sweep_id, "succeeded")
    return sweep_id, ids


def test_a_stored_sweep_shows_its_table_figure_and_best(state):
    sweep_id, ids = stored_sweep(state.store)
    status, table, figure, past, view = SWEEP.show(state, None, sweep_id)
    best = ids[(10, 0.01)]
    assert f" · best: run #{best}, P=10, lr=0.01, accuracy 0.8400" in status
    assert "4 of 4 runs done" in status
    assert list(table.columns) == ["Best", "ID", "Prompt length", "Learning rate", "Status",
                                   "Accuracy", "F1", "Training time", "Error"]  # fmt: skip
    marked = table[table["Best"] == "★ best"]
    assert list(marked["ID"]) == [best]
    failed = table[table["ID"] == ids[(20, 0.003)]].iloc[0]
    assert failed["Status"] == "failed" and "out of memory" in failed["Error"]
    assert table.iloc[0]["Training time"] == "1 min 5 s"
    (heat,) = figure.data
    assert heat.type == "heatmap" and list(heat.x) == ["10", "20"]
    assert list(heat.y) == ["0.003", "0.01"]
    assert [list(row) for row in heat.z] == [[0.71, None], [0.84, 0.79]]
    assert heat.text[0][1] == "failed" and heat.text[1][0] == "★ 0.840"
    frame = figure.layout.shapes[0]  # around the best cell: column 0 (P=10), row 1 (lr=0.01)
    assert (frame.x0, frame.x1, frame.y0, frame.y1) == (-0.5, 0.5, 0.5, 1.5)
    assert past["value"] == sweep_id and past["choices"][0][1] == sweep_id
    assert view["sweep_id"] == sweep_id


def test_poll_skips_when_nothing_changed_and_redraws_on_a_new_result(state):
    sweep_id, _ = stored_sweep(state.store)
    view = SWEEP.show(state, None, sweep_id)[-1]
    assert SWEEP.poll(state, view) == tuple(SKIP for _ in range(5))
    run_id = state.store.create_run(
        name="late", method="ptuning_v2", base_model="m", dataset="d.csv", sweep_id=sweep_id,
        config={"lr": 0.03, "method_options": {"num_virtual_tokens": 10}},
    )  # fmt: skip
    state.store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.9})
    outputs = SWEEP.poll(state, view)
    assert outputs[1] is not SKIP and f"best: run #{run_id}" in outputs[0]
    assert SWEEP.poll(state, view) == tuple(SKIP for _ in range(5))


def test_sweep_figures_follow_the_grid_shape():
    scores = [(10, 0.6), (20, 0.8), (30, 0.7)]
    along_length = [
        {"num_virtual_tokens": n, "lr": 0.01, "eval_accuracy": a, "status": "succeeded"}
        for n, a in scores
    ]
    fig = sweep_figure(along_length, along_length[1])
    line, star = fig.data
    assert line.type == "scatter" and list(line.x) == [10, 20, 30] and line.name == "lr=0.01"
    assert (star.x[0], star.y[0], star.name) == (20, 0.8, "best")
    along_lr = [dict(r, num_virtual_tokens=16, lr=lr) for r, lr in
                zip(along_length, (0.001, 0.01, 0.1), strict=True)]  # fmt: skip
    fig = sweep_figure(along_lr, along_lr[1], lang="zh")
    assert list(fig.data[0].x) == [0.001, 0.01, 0.1] and fig.layout.xaxis.type == "log"
    assert fig.data[-1].name == "最佳"
    empty = sweep_figure([{"num_virtual_tokens": 10, "lr": 0.01, "eval_accuracy": None}])
    assert not empty.data and empty.layout.annotations[0].text == "No data yet"


def test_results_table_of_an_empty_sweep_has_the_columns(state):
    assert len(results_table(state, [], None).columns) == 9
    assert {k for k in SERVER_TEXT["en"] if k.startswith("sweep")} == {
        k for k in SERVER_TEXT["zh"] if k.startswith("sweep")
    }


# ----------------------------------------------------------------------------- a real sweep
@pytest.mark.train
def test_a_sweep_started_from_the_form_runs_and_is_shown(state, tmp_path, tiny_model_dir):
    data = write_reviews(tmp_path / "reviews.csv", rows=48)
    values = form(data=str(data), model=str(tiny_model_dir), lengths="2", lrs="0.01, 0.03",
                  max_steps="2")  # fmt: skip
    message, sweep_id = start_sweep(state, values)
    assert message == f"Sweep #{sweep_id} started: 2 runs, one after another, up to 1 min each."
    outcome = sweep.active_sweep().wait(120)
    assert outcome["status"] == "succeeded", outcome
    status, table, figure, _, _ = SWEEP.show(state, None, sweep_id)
    assert len(table) == 2 and (table["Best"] == "★ best").sum() == 1
    assert [trace.name for trace in figure.data] == ["P=2", "best"]
    assert figure.layout.xaxis.type == "log"  # one length, two learning rates: accuracy vs lr


def test_the_app_has_the_sweep_tab(tmp_path):
    from app import create_app

    demo = create_app(db=tmp_path / "studio.db")
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert {"tab-sweep", "sweep-start", "sweep-stop", "sweep-plot", "sweep-table"} <= ids
    assert {"sweep-lengths", "sweep-lrs", "sweep-past", "sweep-method"} <= ids


def test_stop_training_also_ends_a_running_sweep(state):
    from types import SimpleNamespace

    from core.training import jobs

    running = jobs.claim("group", "ptuning_v2")  # a sweep between two of its runs
    running.set_group(SimpleNamespace(kind="sweep", id=7, title="sweep 7"))
    try:
        message = actions.stop_training(state)
        assert running.stopping
        assert "Sweep 7 starts no further runs" in message
    finally:
        jobs.release(running)


def test_a_deleted_sweep_is_let_go(state):
    sweep_id, _ = stored_sweep(state.store)
    view = SWEEP.show(state, None, sweep_id)[-1]
    state.store.delete_sweep(sweep_id)
    status, _table, _figure, past, view = SWEEP.poll(state, view)
    assert status == "No sweeps yet: choose a grid and press Start sweep."
    assert past["choices"] == [] and view["sweep_id"] is None
