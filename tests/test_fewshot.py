"""Few-shot learning curves: the sample, the plan, running, stopping, resuming, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_labelled, write_reviews

from core.config import TrainConfig
from core.data.loading import load_data
from core.errors import BusyError, ConfigError, DataError, RunStateError
from core.fewshot import (
    ALL,
    FewShotConfig,
    fewshot_problems,
    fewshot_results,
    read_methods,
    read_shots,
    resume_fewshot,
    run_fewshot,
    start_fewshot,
)
from core.fewshot.cli import main as fewshot_main
from core.methods import METHODS
from core.training import jobs
from storage.store import FEWSHOT_INTERRUPTED_ERROR, Store


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("fewshot") / "reviews.csv", rows=120)


def base(data: Path, model: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), model=str(model), batch_size=8, max_length=32,
                  precision="fp32", eval_sample_rows=40)  # fmt: skip
    return TrainConfig(**{**values, **overrides})


def plan(data: Path, model: Path, **overrides) -> FewShotConfig:
    values = dict(base=base(data, model), methods=("head_only", "lora"), shots=(2, 4, ALL),
                  seeds=2, steps=2)  # fmt: skip
    return FewShotConfig(**{**values, **overrides})


# ----------------------------------------------------------------------------- the sample
def test_a_sample_has_k_rows_per_class_and_grows_by_adding_rows(data):
    small = load_data(data, shots_per_class=4, seed=3)
    large = load_data(data, shots_per_class=8, seed=3)
    assert sorted(small.train.labels) == [0] * 4 + [1] * 4
    assert set(small.train.texts) < set(large.train.texts)  # nested: more data, not other data
    other = load_data(data, shots_per_class=4, seed=4)
    assert set(other.train.texts) != set(small.train.texts)
    # held out with a fixed seed: every size and seed is judged on the same rows
    assert small.validation.texts == large.validation.texts == other.validation.texts
    assert any("few-shot: training on 4 rows of each class, 8 in all" in n for n in small.warnings)


def test_a_class_with_fewer_rows_than_asked_is_named(tmp_path):
    path = write_labelled(tmp_path / "d.csv", ["negative", "positive"], 40, 0)
    with pytest.raises(DataError, match=r"class 'negative' has 18 training rows, fewer than "
                       r"shots_per_class=30; lower shots_per_class to 18"):  # fmt: skip
        load_data(path, shots_per_class=30)


def test_evaluation_rows_are_a_fixed_stratified_sample(tmp_path):
    folder = tmp_path / "split"
    write_labelled(folder / "train.csv", ["negative", "positive"], 60, 0)
    write_labelled(folder / "dev.csv", ["negative", "positive"], 80, 1)
    write_labelled(folder / "test.csv", ["negative", "positive"], 90, 2)
    one, two = (load_data(folder, eval_sample_rows=20, seed=s) for s in (1, 2))
    assert len(one.validation) == len(one.test) == 20
    assert sorted(one.validation.labels) == [0] * 10 + [1] * 10
    assert one.validation.texts == two.validation.texts and one.test.texts == two.test.texts
    assert len(load_data(folder).validation) == 80


def test_shots_and_a_row_cap_together_are_refused(data, tiny_model_dir):
    with pytest.raises(ConfigError, match="give either shots_per_class .* or max_train_rows"):
        base(data, tiny_model_dir, shots_per_class=8, max_train_rows=50)


# ----------------------------------------------------------------------------- the plan
def test_text_of_sizes_and_methods_is_read_and_every_bad_item_named():
    assert read_shots("8, 16,all ;32") == ([8, 16, ALL, 32], [])
    values, problems = read_shots("8,many,1.5")
    assert values == [8] and len(problems) == 2 and "'many' is neither" in problems[0]
    assert read_methods("lora nope") == (
        ["lora"],
        ["methods: 'nope' is not a method; choose from " + ", ".join(METHODS)],
    )


def test_the_plan_orders_points_one_whole_seed_first(data, tiny_model_dir):
    config = plan(data, tiny_model_dir, shots=(ALL, 4, 2, 4))
    assert config.shots == (2, 4, ALL)
    first_seed = [(m, k, 42) for k in (2, 4, ALL) for m in ("head_only", "lora")]
    assert config.points[:6] == first_seed
    assert len(config.points) == 12 and config.seed_values == [42, 43]
    point = TrainConfig(**config.values("lora", 4, 43))
    assert (point.shots_per_class, point.seed, point.max_steps, point.eval_every) == (4, 43, 2, 2)
    assert point.keep_best is False and point.lr is None and point.method_options == {}
    assert TrainConfig(**config.values("lora", ALL, 42)).shots_per_class is None


def test_every_problem_of_a_plan_is_listed_at_once(data, tiny_model_dir):
    values = {"data": str(data), "model": str(tiny_model_dir)}
    problems = [str(p) for p in fewshot_problems(values, [], [1], 0, 0)]
    assert "methods are empty; choose at least one" in problems
    assert any("examples per class: 1 is too few; use 2 or more" in p for p in problems)
    assert any("Seeds" in p for p in problems) and any("Steps per run" in p for p in problems)
    many = fewshot_problems(values, ["lora", "adapter"], list(range(2, 100)), 3, 10)
    assert any("2 methods x 98 sizes x 3 seeds = 588 runs; at most 400" in str(p) for p in many)
    tasks = {"tasks": {"a": str(data), "b": str(data)}, "model": str(tiny_model_dir)}
    assert any("clear the multi-task datasets" in str(p)
               for p in fewshot_problems(tasks, ["lora"], [8], 1, 10))  # fmt: skip


# ----------------------------------------------------------------------------- running
@pytest.mark.train
def test_an_experiment_records_a_curve_of_every_method_and_size(tmp_path, data, tiny_model_dir):
    events = []
    with Store(tmp_path / "home" / "studio.db") as store:
        config = plan(data, tiny_model_dir, shots=(4, 500, ALL))
        outcome = run_fewshot(store, config, events.append)
        assert outcome["status"] == "succeeded", outcome.get("error")
        # 500 per class is more than the data has: left out before anything ran, with a note
        assert outcome["shots"] == [4, ALL]
        assert "left out 500 examples per class: class 'negative' has only" in outcome["notes"][0]
        assert [(e["method"], e["shots"], e["runs"]) for e in outcome["curve"]] == [
            (m, k, 2) for m in ("head_only", "lora") for k in (4, ALL)
        ]
        for entry in outcome["curve"]:
            assert 0 <= entry["score_min"] <= entry["score_mean"] <= entry["score_max"]
            assert entry["score_std"] >= 0
        runs = store.list_runs(sweep_id=outcome["experiment_id"])
        assert len(runs) == 8 and {r["status"] for r in runs} == {"succeeded"}
        for run in runs:  # one evaluation, at the end; the checkpoint is gone, the adapter kept
            evals = [m for m in store.read_metrics(run["id"], split="eval")
                     if m["name"] == "eval_accuracy"]  # fmt: skip
            assert len(evals) == 1
            assert not Path(run["checkpoint_path"]).exists()
            assert Path(run["metrics"]["adapter_path"]).is_dir()
        assert store.get_sweep(outcome["experiment_id"])["kind"] == "fewshot"
        assert store.list_sweeps(kind="sweep") == []
    assert [e.type for e in events].count("fewshot_point") == 8
    assert jobs.current() is None


@pytest.mark.train
def test_a_stopped_experiment_resumes_with_what_is_left(tmp_path, data, tiny_model_dir):
    with Store(tmp_path / "home" / "studio.db") as store:
        config = plan(data, tiny_model_dir, methods=("head_only",), shots=(2, ALL))
        handles = []

        def stop_after_first(event):
            if event.type == "fewshot_point":
                handles[0].stop()

        handles.append(start_fewshot(store, config, stop_after_first))
        first = handles[0].wait(120)
        assert first["status"] == "stopped" and first["done"] == 1
        again = resume_fewshot(store, first["experiment_id"]).wait(120)
        assert again["status"] == "succeeded" and again["done"] == again["planned"] == 4
        counted = [i for entry in again["curve"] for i in entry["run_ids"]]
        assert len(counted) == len(set(counted)) == 4  # no point counted twice
        with pytest.raises(RunStateError, match="has a finished run for every point"):
            resume_fewshot(store, first["experiment_id"])


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.train
def test_an_experiment_whose_process_died_is_interrupted_and_resumes(
    tmp_path, data, tiny_model_dir
):
    path = tmp_path / "home" / "studio.db"
    config = plan(data, tiny_model_dir, methods=("head_only",), shots=(2,), seeds=1)
    with Store(path) as store:
        experiment = store.create_sweep(
            name="few-shot on reviews", method="head_only", dataset=str(data),
            grid=config.grid(), config=config.base.to_dict(), kind="fewshot", pid=_dead_pid(),
        )  # fmt: skip
    with Store(path) as store:  # the next open: its process is gone
        record = store.get_sweep(experiment)
        assert record["status"] == "interrupted" and record["error"] == FEWSHOT_INTERRUPTED_ERROR
        outcome = resume_fewshot(store, experiment).wait(120)
        assert outcome["status"] == "succeeded" and outcome["done"] == 1


def test_the_device_is_shared_with_runs_and_sweeps(tmp_path, data, tiny_model_dir):
    with Store(tmp_path / "home" / "studio.db") as store:
        job = jobs.claim("run", "lora")
        try:
            with pytest.raises(BusyError, match="before starting a few-shot experiment"):
                start_fewshot(store, plan(data, tiny_model_dir))
        finally:
            jobs.release(job)
        assert store.list_sweeps() == []  # a refused start records nothing
        handle = start_fewshot(store, plan(data, tiny_model_dir, methods=("head_only",)))
        try:
            with pytest.raises(BusyError, match=f"few-shot experiment {handle.experiment_id} "
                               "is still running; .* before starting a sweep"):  # fmt: skip
                jobs.claim("group", "ptuning_v2")
            with pytest.raises(RunStateError, match="still running"):
                resume_fewshot(store, handle.experiment_id)
        finally:
            handle.stop()
            handle.wait(120)


# ----------------------------------------------------------------------------- command line
@pytest.mark.train
def test_the_command_line_ends_with_one_json_line(tmp_path, data, tiny_model_dir, capsys):
    code = fewshot_main([
        "--db", str(tmp_path / "studio.db"), "--data", str(data), "--model", str(tiny_model_dir),
        "--methods", "head_only", "--shots", "2,all", "--seeds", "2", "--steps", "2",
        "--precision", "fp32", "--max-length", "32", "--quiet",
    ])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    assert line["status"] == "succeeded" and line["seconds"] > 0
    assert [(e["method"], e["shots"], e["runs"]) for e in line["curve"]] == [
        ("head_only", 2, 2),
        ("head_only", ALL, 2),
    ]
    assert "run 4 of 4 (head_only, k=all, seed 43): succeeded" in err
    with Store(tmp_path / "studio.db") as store:
        assert fewshot_results(store, line["experiment_id"])["done"] == 4


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--lr", "0.1"], "--lr does not apply; every method trains with its default"),
        (["--max-steps", "5"], "--max-steps does not apply; give the steps of every run"),
        (["--num-virtual-tokens", "5"], "--num-virtual-tokens does not apply; every method"),
        (["--shots", "8,lots"], "'lots' is neither a whole number nor 'all'"),
        (["--methods", "lora,magic"], "'magic' is not a method"),
        (["--resume-experiment", "3"], "continues an experiment in a database; add --db"),
        (["--out", "/tmp/one-folder"], "--out does not apply; each run gets its own folder"),
    ],
)
def test_the_command_line_says_what_is_wrong(tmp_path, data, flags, message, capsys):
    argv = ["--data", str(data), *flags]
    if "--resume-experiment" not in flags:
        argv += ["--db", str(tmp_path / "studio.db")]
    assert fewshot_main(argv) == 2
    assert message in capsys.readouterr().err
    assert (
        not (tmp_path / "studio.db").exists() or Store(tmp_path / "studio.db").list_sweeps() == []
    )
