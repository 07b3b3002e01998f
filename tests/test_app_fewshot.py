"""The Few-shot tab: form checks, start / poll / stop / resume of a real experiment on a tiny
model, an interrupted experiment, the picker, the queue while an experiment runs, the figure."""

from __future__ import annotations

import time
from types import SimpleNamespace

import gradio as gr
import pytest
from conftest import write_reviews

from app.shared import actions, run_queue
from app.shared.errors import FormProblems, to_gradio
from app.shared.state import DEMO_DATA, AppState
from app.tabs.fewshot.form import fewshot_from_form, plan_line, resume, running_id, start, stop
from app.tabs.fewshot.plots import all_position, fewshot_figure
from app.tabs.fewshot.tables import curve_table, runs_table, status_text
from app.tabs.fewshot.view import FEWSHOT
from app.tabs.sweep.view import SWEEP
from core import fewshot
from core.config import TrainConfig
from core.errors import BusyError
from core.fewshot.results import counted
from core.training import jobs
from storage.store import Store

SKIP = gr.skip()
WAIT_SECONDS = 120
DEAD_PID = 2**22 + 1  # above Linux's largest pid: no process can hold it


def form(**values):
    base = {"data": str(DEMO_DATA), "model": "all-MiniLM-L6-v2", "methods": ["lora", "head_only"],
            "shots": "2,4,all", "seeds": 2, "steps": 3, "batch": 8, "name": ""}  # fmt: skip
    return {**base, **values}


@pytest.fixture()
def data(tmp_path):
    return write_reviews(tmp_path / "reviews.csv", rows=48)


def wait_ended(state: AppState, experiment_id: int) -> dict:
    """The experiment's results once it ended and freed the device."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if state.store.get_sweep(experiment_id)["status"] != "running" and not jobs.current():
            return fewshot.fewshot_results(state.store, experiment_id)
        time.sleep(0.05)
    raise AssertionError(f"experiment {experiment_id} did not end in {WAIT_SECONDS} s")


# ----------------------------------------------------------------------------- form
def test_the_form_lists_every_problem_at_once_and_records_nothing(state):
    values = form(shots="2,x", methods=["lora", "nope"], seeds=0, steps="y")
    with pytest.raises(FormProblems) as caught:
        fewshot_from_form(state, values)
    problems = caught.value.problems
    assert any("examples per class: 'x' is neither a whole number nor 'all'" in p
               for p in problems)  # fmt: skip
    assert any("methods: 'nope' is not a method; choose from" in p for p in problems)
    assert "Seeds: seeds=0 is out of range; use a value from 1 to 10" in problems
    assert "Steps per run: steps='y' must be a number" in problems
    # The run's own steps mirror the plan's: the same mistake is not listed three times.
    assert not any(p.startswith(("Max steps", "Eval every")) for p in problems), problems
    assert len(problems) == 4, problems
    with pytest.raises(FormProblems) as caught:
        fewshot_from_form(state, form(methods=[], shots=" ", seeds=2.5))
    assert sorted(caught.value.problems) == [
        "Seeds: seeds=2.5 must be a whole number, e.g. 2",
        "examples per class are empty; give at least one, e.g. 8,16,32,all",
        "methods are empty; choose at least one",
    ]
    with pytest.raises(FormProblems, match="1 is too few; use 2 or more"):
        fewshot_from_form(state, form(shots="1,8"))
    assert state.store.list_sweeps() == [] and state.store.list_runs() == []


def test_refused_paths_are_listed_and_a_refused_model_folder_is_not_read(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    state = AppState(store=Store(tmp_path / "home" / "studio.db"), data_dir=served)
    outside = write_reviews(tmp_path / "elsewhere.csv", rows=40)
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{not json")  # read, it would add its own problem
    with pytest.raises(FormProblems) as caught:
        fewshot_from_form(state, form(data=str(outside), model=str(model), seeds="x"))
    problems = caught.value.problems
    assert problems[0].startswith(f"Dataset: the dataset {outside} is outside the folders")
    assert problems[1].startswith(f"Base model: the base model folder {model} is outside")
    assert problems[2:] == ["Seeds: seeds='x' must be a number"]
    assert state.store.list_sweeps() == []


def test_data_that_cannot_train_is_refused_before_anything_is_recorded(state, tmp_path):
    tiny = tmp_path / "tiny.csv"
    tiny.write_text("text,label\ngood,1\nbad,0\nfine,1\nawful,0\n", encoding="utf-8")
    with pytest.raises(FormProblems, match="The training data is too small|too small"):
        fewshot_from_form(state, form(data=str(tiny)))
    assert state.store.list_sweeps() == []


def test_the_form_becomes_an_experiment_with_the_shared_evaluation_rows(state, data):
    values = form(data=str(data), shots="all, 4,2,4", seeds=None, steps="", batch=None,
                  name=" curve ")  # fmt: skip
    config = fewshot_from_form(state, values)
    assert config.methods == ("lora", "head_only") and config.shots == (2, 4, "all")
    assert (config.seeds, config.steps) == (fewshot.DEFAULT_SEEDS, fewshot.DEFAULT_STEPS)
    assert config.base.batch_size == fewshot.DEFAULT_BATCH
    assert config.base.eval_sample_rows == fewshot.DEFAULT_EVAL_ROWS
    assert config.experiment_name() == "curve"


def test_the_plan_line_counts_the_runs_and_estimates_the_time(state):
    line = plan_line(state, form(shots="8,16,all", seeds=3, steps=100))
    assert line.startswith("**18 runs** (2 methods × 3 sizes × 3 seeds), 100 steps each; about")
    assert "a conservative guess of the speed" in line
    assert plan_line(state, form(model="org/unmeasured")).endswith("3 steps each.")
    assert plan_line(state, form(seeds="x")) == "" and plan_line(state, form(methods=[])) == ""


def test_stop_and_resume_without_an_experiment_say_so(state):
    assert stop(state) == "No few-shot experiment is running."
    with pytest.raises(ValueError, match="Pick a stopped, interrupted or failed few-shot"):
        resume(state, None)


# ----------------------------------------------------------------------------- a real experiment
@pytest.mark.train
def test_an_experiment_started_from_the_form_runs_and_is_shown(state, data, tiny_model_dir):
    # Two methods x three sizes x one seed: the spread over seeds is the figure tests' part.
    values = form(data=str(data), model=str(tiny_model_dir), methods=["head_only", "lora"],
                  seeds=1)  # fmt: skip
    message, experiment_id = start(state, values)
    assert message == f"Few-shot experiment #{experiment_id} started: 6 runs, one after another."
    view = FEWSHOT.show(state, None, experiment_id)[-1]
    outputs = FEWSHOT.poll(state, view)
    deadline = time.monotonic() + WAIT_SECONDS
    while state.store.get_sweep(experiment_id)["status"] == "running":
        assert time.monotonic() < deadline
        outputs = FEWSHOT.poll(state, view)
        time.sleep(0.5)
    outcome = wait_ended(state, experiment_id)
    assert outcome["status"] == "succeeded" and outcome["done"] == 6, outcome
    outputs = FEWSHOT.poll(state, view)  # the last change since the previous tick is drawn
    if outputs[0] is SKIP:
        outputs = FEWSHOT.show(state, None, experiment_id)
    status, table, runs, figure, past, resume_button, _ = outputs
    assert "succeeded · 6 of 6 runs done · 3 steps each" in status
    assert list(table.columns) == ["Method", "2", "4", "all"]
    assert list(table["Method"]) == ["Head only", "LoRA"]
    assert all(cell.endswith("± 0.000 (1/1)") for cell in table.iloc[:, 1:].to_numpy().flat)
    assert len(runs) == 6 and set(runs["k"]) == {"2", "4", "all"}
    assert set(runs["Status"]) == {"succeeded"} and (runs["Accuracy"] != "").all()
    names = {trace.name for trace in figure.data if trace.showlegend is not False}
    assert names == {"LoRA", "Head only"}
    assert figure.layout.xaxis.type == "log"
    assert list(figure.layout.xaxis.ticktext) == ["2", "4", "all"]
    assert list(figure.layout.xaxis.tickvals) == [2, 4, 8]
    assert resume_button["interactive"] is False
    assert past["value"] == experiment_id
    assert FEWSHOT.poll(state, view) == tuple(SKIP for _ in FEWSHOT.outputs)


@pytest.mark.train
def test_stop_mid_way_then_resume_finishes_the_rest_under_the_same_id(state, data, tiny_model_dir):
    values = form(data=str(data), model=str(tiny_model_dir), methods=["head_only"], shots="2,all",
                  seeds=1, steps=10)  # fmt: skip
    _, experiment_id = start(state, values)
    assert running_id() == experiment_id
    deadline = time.monotonic() + WAIT_SECONDS
    while fewshot.fewshot_results(state.store, experiment_id)["done"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert stop(state) == (
        f"Stopping few-shot experiment #{experiment_id}: the current run finishes its step and "
        "saves; no more runs start."
    )
    stopped = wait_ended(state, experiment_id)
    assert stopped["status"] == "stopped" and stopped["done"] == 1
    before = {point: r["run_id"] for point, r in counted(stopped["runs"]).items()}
    status, *_, resume_button, view = FEWSHOT.show(state, None, experiment_id)
    assert resume_button["interactive"] is True
    assert "Resume experiment trains the 1 runs left" in status
    message, resumed_id = resume(state, experiment_id)
    assert resumed_id == experiment_id
    assert message == (
        f"Few-shot experiment #{experiment_id} continues: 1 of its 2 runs are left to train."
    )
    outcome = wait_ended(state, experiment_id)
    assert outcome["status"] == "succeeded" and outcome["done"] == 2
    succeeded = [(r["method"], r["shots"], r["seed"]) for r in outcome["runs"]
                 if r["status"] == "succeeded"]  # fmt: skip
    assert len(succeeded) == len(set(succeeded)) == 2  # no finished point trained twice
    kept = {point: r["run_id"] for point, r in counted(outcome["runs"]).items()}
    assert all(kept[point] == run_id for point, run_id in before.items())  # not trained again
    assert state.store.list_sweeps(kind="fewshot")[0]["id"] == experiment_id
    assert len(state.store.list_sweeps(kind="fewshot")) == 1


@pytest.mark.train
def test_an_interrupted_experiment_offers_resume_and_resumes(tmp_path, data, tiny_model_dir):
    path = tmp_path / "studio.db"
    state = AppState(store=Store(path), data_dir=tmp_path)
    base = TrainConfig(data=str(data), model=str(tiny_model_dir), batch_size=8,
                       eval_sample_rows=fewshot.DEFAULT_EVAL_ROWS)  # fmt: skip
    plan = fewshot.FewShotConfig(base=base, methods=("head_only",), shots=(2, "all"), seeds=1,
                                 steps=3, name="crashed")  # fmt: skip
    experiment_id = state.store.create_sweep(
        name="crashed", method="head_only", dataset=str(data), grid={**plan.grid(), "notes": []},
        config=base.to_dict(), kind="fewshot", pid=DEAD_PID,
    )  # fmt: skip
    done = state.store.create_run(
        name="few-shot · head_only · k=2", method="head_only", base_model=str(tiny_model_dir),
        dataset=str(data), config=plan.values("head_only", 2, base.seed), sweep_id=experiment_id,
    )  # fmt: skip
    state.store.finish_run(done, "succeeded", metrics={"eval_accuracy": 0.5, "eval_f1": 0.4})
    state.store.close()
    state = AppState(store=Store(path), data_dir=tmp_path)  # the app starts again
    assert state.store.get_sweep(experiment_id)["status"] == "interrupted"
    status, table, _, figure, _, resume_button, _ = FEWSHOT.show(state, None, experiment_id)
    assert resume_button["interactive"] is True
    assert "interrupted · 1 of 2 runs done" in status
    assert "the process running it ended unexpectedly" in status
    assert list(table.iloc[0]) == ["Head only", "0.500 ± 0.000 (1/1)", "– (0/1)"]
    assert [trace.y[0] for trace in figure.data if trace.mode == "lines+markers"] == [0.5]
    _, resumed = resume(state, experiment_id)
    outcome = wait_ended(state, experiment_id)
    assert resumed == experiment_id and outcome["status"] == "succeeded"
    assert [r["run_id"] for r in outcome["runs"]][0] == done and len(outcome["runs"]) == 2


def test_start_and_resume_while_the_device_is_busy_say_what_holds_it(state, data):
    experiment_id = state.store.create_sweep(
        name="curve", method="lora", dataset="d.csv", kind="fewshot",
        config=TrainConfig(data=str(DEMO_DATA)).to_dict(),
        grid={"methods": ["lora"], "shots": [2], "seeds": [42], "steps": 3},
    )  # fmt: skip
    state.store.finish_sweep(experiment_id, "stopped")
    busy = jobs.claim("run", "lora")
    try:
        with pytest.raises(BusyError, match="a lora run is training; wait for it to finish or "
                           "stop it before starting a few-shot experiment"):  # fmt: skip
            resume(state, experiment_id)
        with pytest.raises(BusyError) as caught:
            start(state, form(data=str(data)))
        chinese = to_gradio(caught.value, lang="zh", markup=False).message
        assert "小样本实验" in chinese and "lora" in chinese, chinese
    finally:
        jobs.release(busy)
    assert state.store.get_sweep(experiment_id)["status"] == "stopped"
    assert [s["id"] for s in state.store.list_sweeps()] == [experiment_id]  # nothing new


# ----------------------------------------------------------------------------- picker, queue
def test_the_picker_lists_only_few_shot_experiments_and_the_sweep_tab_none(state):
    ids = {}
    for kind in ("sweep", "fewshot", "fewshot"):
        ids.setdefault(kind, []).append(
            state.store.create_sweep(
                name=f"a {kind}", method="lora", dataset="d", grid={}, config={}, kind=kind
            )  # fmt: skip
        )
    assert [value for _, value in FEWSHOT.choices(state)] == ids["fewshot"][::-1]
    assert [value for _, value in SWEEP.choices(state)] == ids["sweep"]


def fewshot_job(experiment_id: int) -> jobs.Job:
    """The device held by a few-shot experiment between two of its runs."""
    job = jobs.claim("group", "lora", noun=fewshot.run.NOUN)
    job.set_group(SimpleNamespace(kind="fewshot", id=experiment_id,
                                  title=f"few-shot experiment {experiment_id}"))  # fmt: skip
    return job


@pytest.mark.train
def test_a_run_started_during_an_experiment_waits_and_stop_names_the_experiment(
    state, data, tiny_model_dir
):
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="head_only",
                         batch_size=8, max_steps=2, precision="fp32")  # fmt: skip
    job = fewshot_job(9)
    try:
        assert running_id() == 9
        run_id, place = run_queue.submit_run(state, config)
        assert place == 1 and state.store.get_run(run_id)["status"] == "waiting"
        assert run_queue.serve_next(state) is None  # the experiment holds the device
        assert actions.stop_training(state) == "Few-shot experiment 9 starts no further runs."
    finally:
        jobs.release(job)
    assert run_queue.serve_next(state) == run_id
    jobs.current().run.wait(WAIT_SECONDS)
    assert state.store.get_run(run_id)["status"] == "succeeded"


# ----------------------------------------------------------------------------- figure
def outcome_of(scores: dict[tuple[str, object, int], float | None]) -> dict:
    """A few-shot result as :func:`core.fewshot.fewshot_results` gives it, from scores per
    (method, k, seed); None is a failed run."""
    runs = [
        {"run_id": i, "method": m, "shots": k, "seed": s, "error": None if a is not None else "x",
         "status": "succeeded" if a is not None else "failed", "score": a,
         "eval_f1": a, "train_seconds": 2.0}
        for i, ((m, k, s), a) in enumerate(scores.items(), start=1)
    ]  # fmt: skip
    methods, shots = ["ptuning_v2", "lora"], [8, 16, "all"]
    return {"experiment_id": 1, "name": "e", "status": "running", "error": None, "steps": 5,
            "methods": methods, "shots": shots, "seeds": [1, 2], "notes": [], "runs": runs,
            "curve": fewshot.curve(runs, methods, shots, [1, 2]), "planned": 12,
            "done": sum(a is not None for a in scores.values())}  # fmt: skip


def test_the_figure_draws_means_spread_and_each_seed_with_all_set_apart():
    outcome = outcome_of({("lora", 8, 1): 0.6, ("lora", 8, 2): 0.7, ("lora", 16, 1): 0.8,
                          ("lora", 16, 2): 0.9, ("lora", "all", 1): 0.95,
                          ("ptuning_v2", 8, 1): None})  # fmt: skip
    fig = fewshot_figure(outcome)
    mean, connector, every, seeds = fig.data  # P-Tuning v2 has no finished run: not drawn
    assert mean.name == "LoRA" and list(mean.x) == [8, 16]
    assert list(mean.y) == pytest.approx([0.65, 0.85])
    assert list(mean.error_y.array) == pytest.approx([0.05, 0.05])
    assert list(mean.error_y.arrayminus) == pytest.approx([0.05, 0.05])
    assert "lowest to highest seed: 0.6000 – 0.7000" in mean.hovertext[0]
    assert "2 of 2 runs" in mean.hovertext[0]
    assert list(every.x) == [all_position([8, 16, "all"])] == [32]
    assert every.showlegend is False and connector.line.dash == "dot"
    assert list(connector.x) == [16, 32] and connector.hoverinfo == "skip"
    assert len(seeds.x) == 5 and seeds.marker.opacity < 0.5
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.ticktext) == ["8", "16", "all"]
    assert "bars: lowest to highest seed" in fig.layout.legend.title.text
    assert list(fig.layout.yaxis.range) == pytest.approx([0.55, 1.0])  # accuracies only
    chinese = fewshot_figure(outcome, "zh")
    assert list(chinese.layout.xaxis.ticktext)[-1] == "全部"


def test_the_figure_and_tables_of_an_experiment_without_finished_runs(state):
    outcome = outcome_of({("lora", 8, 1): None})
    for fig in (fewshot_figure(outcome), fewshot_figure(None)):
        assert not fig.data and fig.layout.annotations[0].text == "No finished run yet"
    table = curve_table(state, outcome)
    assert list(table.columns) == ["Method", "8", "16", "all"]
    assert list(table.iloc[1]) == ["LoRA", "– (0/2)", "– (0/2)", "– (0/2)"]
    runs = runs_table(state, outcome)
    assert list(runs.columns) == ["ID", "Method", "k", "Seed", "Status", "Accuracy", "F1",
                                  "Training time", "Error"]  # fmt: skip
    assert list(runs.iloc[0])[:6] == [1, "LoRA", "8", 1, "failed", ""]
    assert len(curve_table(state, None)) == 0 and len(runs_table(state, None)) == 0
    assert status_text(state, None).startswith("No few-shot experiments yet")


def test_the_app_has_the_few_shot_tab(tmp_path):
    from app import create_app
    from app.i18n import SERVER_TEXT

    demo = create_app(db=tmp_path / "studio.db")
    ids = {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    wanted = {"tab-fewshot", *(f"fewshot-{name}" for name in (
        "dataset", "model", "methods", "shots", "seeds", "steps", "batch", "name", "start",
        "stop", "resume", "past", "status", "plot", "table", "runs"))}  # fmt: skip
    assert wanted <= ids
    english = {k for k in SERVER_TEXT["en"] if "fewshot" in k}
    assert english and english == {k for k in SERVER_TEXT["zh"] if "fewshot" in k}


def test_the_status_line_reads_in_chinese_and_a_deleted_experiment_is_let_go(tmp_path):
    state = AppState(store=Store(tmp_path / "studio.db"), data_dir=tmp_path, lang="zh")
    note = ("left out 64 examples per class: class 'positive' has only 20 training rows ('all' "
            "covers it)")  # fmt: skip
    experiment_id = state.store.create_sweep(
        name="curve", method="lora", dataset="d.csv", kind="fewshot",
        config=TrainConfig(data=str(DEMO_DATA)).to_dict(),
        grid={"methods": ["lora"], "shots": [8, "all"], "seeds": [42], "steps": 3,
              "notes": [note]},
    )  # fmt: skip
    state.store.finish_sweep(experiment_id, "failed", error="no run finished; the first one "
                             "said: out of memory")  # fmt: skip
    status, table, *_, resume_button, view = FEWSHOT.show(state, None, experiment_id)
    assert f"小样本实验 #{experiment_id} **curve**：已失败 · 已完成 0 / 2 次运行" in status
    assert "“继续实验”会训练剩下的 2 次运行" in status
    assert "注意：已略去每类 64 个样本的点：类别 'positive' 只有 20 行训练数据" in status
    assert "实验出错：没有一次运行完成；第一次运行的报错：out of memory" in status
    assert list(table.columns) == ["方法", "8", "全部"] and list(table.iloc[0])[0] == "LoRA"
    assert resume_button["interactive"] is True
    state.store.delete_sweep(experiment_id)
    assert FEWSHOT.poll(state, view)[0] == "还没有小样本实验：选择方法和样本量后点击开始实验。"
