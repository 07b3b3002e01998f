"""Sweeps: grid checks, the sweeps table, runs grouped under a sweep, stop, failures, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write_reviews
from sqlite_utils import Database

from core import runs, sweep
from core.config import TrainConfig
from core.errors import BusyError, ConfigError
from core.methods import METHODS
from core.sweep import SweepConfig, check_sweep, prompt_methods, run_sweep, start_sweep
from core.sweep import cli as sweep_cli
from core.training import jobs
from core.training.trainer import Trainer
from storage.errors import GroupStateError, InvalidNameError, SweepNotFoundError
from storage.schema import migration_names, migrations
from storage.store import Store


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=64)


def base(data: Path, model: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), model=str(model), batch_size=16, max_steps=3, log_every=1,
                  eval_every=3, precision="fp32")  # fmt: skip
    return TrainConfig(**{**values, **overrides})


def grid(data: Path, model: Path, lengths=(2, 4), lrs=(0.01, 0.03), **overrides) -> SweepConfig:
    return SweepConfig(base=base(data, model, **overrides), method="ptuning_v2",
                       lengths=lengths, lrs=lrs)  # fmt: skip


# ----------------------------------------------------------------------------- the grid
def test_grid_problems_name_the_values_and_the_fix():
    cfg = TrainConfig(data="x.csv")
    cases = {
        "has no prompt length to sweep; choose one of prompt_tuning, ptuning_v1, ptuning_v2": {
            "method": "lora"
        },
        "prompt lengths are empty": {"lengths": ()},
        "300 is out of range for P-Tuning v2; use lengths from 1 to 256": {"lengths": (10, 300)},
        "'ten' is not a whole number": {"lengths": ("ten",)},
        "learning rates: 0 is out of range; use values from 1e-07 to 1": {"lrs": (0.01, 0.0)},
        "learning rates are empty": {"lrs": ()},
        "= 65 runs; at most 60 fit one sweep": {
            "lengths": tuple(range(1, 14)), "lrs": (1e-3, 2e-3, 3e-3, 4e-3, 5e-3)
        },
    }  # fmt: skip
    for message, values in cases.items():
        with pytest.raises(ConfigError, match=message):
            SweepConfig(base=cfg, **values)


def test_every_problem_of_the_grid_is_listed_at_once():
    with pytest.raises(ConfigError) as caught:
        SweepConfig(base=TrainConfig(data="x.csv"), lengths=(0,), lrs=(-1.0,))
    assert "prompt lengths: 0" in str(caught.value) and "learning rates: -1" in str(caught.value)


def test_repeated_values_are_dropped_and_the_default_lrs_surround_the_methods():
    cfg = SweepConfig(base=TrainConfig(data="x.csv"), method="ptuning_v2", lengths=(20, 10, 20))
    assert cfg.lengths == (20, 10)
    assert cfg.lrs == (0.0033, 0.01, 0.03)  # P-Tuning v2's default is 1e-2
    assert cfg.points[:2] == [(20, 0.0033), (20, 0.01)] and len(cfg.points) == 6
    assert SweepConfig(base=TrainConfig(data="x.csv")).lengths == (10, 15, 20, 25, 30)
    assert SweepConfig(base=TrainConfig(data="x"), lrs=(0.1, 0.1, 0.2)).lrs == (0.1, 0.2)


def test_text_grids_are_parsed_and_a_bad_item_is_named():
    assert sweep.parse_lengths(" 10, 20;30 ") == [10, 20, 30]
    assert sweep.parse_lrs("0.01,3e-3") == [0.01, 0.003]
    with pytest.raises(ConfigError, match="prompt lengths: '2.5' is not a whole number"):
        sweep.parse_lengths("10,2.5")
    with pytest.raises(ConfigError, match="learning rates: 'fast' is not a number"):
        sweep.parse_lrs("0.01, fast")


def test_each_point_is_checked_against_the_model(tiny_model_dir):
    cfg = SweepConfig(base=TrainConfig(data="x.csv", model=str(tiny_model_dir)),
                      method="prompt_tuning", lengths=(4, 60), lrs=(0.01,))  # fmt: skip
    with pytest.raises(ConfigError, match="the prompt takes 60 of the model's 64 positions"):
        check_sweep(cfg)


def test_a_sweep_refuses_prompt_growth_in_its_base_settings():
    growing = [m for m in prompt_methods() if "grow" in {f["name"] for f in
               METHODS[m].config_cls.describe()}]  # fmt: skip
    if not growing:
        pytest.skip("no prompt method has a growth setting")
    base = TrainConfig(data="x.csv", method=growing[0], method_options={"grow": "2,4"})
    with pytest.raises(ConfigError, match="clear the prompt growth setting"):
        SweepConfig(base=base, method=growing[0], lengths=(4,), lrs=(0.01,))


# ----------------------------------------------------------------------------- storage
def test_a_sweep_is_recorded_finished_listed_and_found(store):
    sweep_id = store.create_sweep(name=" grid ", method="ptuning_v2", dataset="d.csv",
                                  grid={"lr": [0.01]}, config={"max_steps": 3})  # fmt: skip
    recorded = store.get_sweep(sweep_id)
    assert recorded["status"] == "running" and recorded["name"] == "grid"
    assert recorded["grid"] == {"lr": [0.01]} and recorded["config"] == {"max_steps": 3}
    store.finish_sweep(sweep_id, "stopped")
    assert store.get_sweep(sweep_id)["status"] == "stopped"
    assert store.get_sweep(sweep_id)["finished_at"]
    other = store.create_sweep(name="b", method="ptuning_v1", dataset="d", grid={}, config={})
    assert [s["id"] for s in store.list_sweeps()] == [other, sweep_id]
    assert [s["id"] for s in store.list_sweeps(status="stopped")] == [sweep_id]
    with pytest.raises(ValueError, match="unknown final sweep status 'done'"):
        store.finish_sweep(sweep_id, "done")
    with pytest.raises(SweepNotFoundError, match="no sweep with id 99"):
        store.get_sweep(99)
    with pytest.raises(SweepNotFoundError):
        store.finish_sweep(99, "failed")
    with pytest.raises(InvalidNameError, match="sweep name cannot be empty"):
        store.create_sweep(name=" ", method="m", dataset="d", grid={}, config={})


def _sweep_with_runs(store: Store) -> tuple[int, list[int]]:
    sweep_id = store.create_sweep(name="s", method="ptuning_v2", dataset="d", grid={}, config={})
    runs = [store.create_run(name=f"r{i}", method="ptuning_v2", base_model="m", dataset="d",
                             config={}, sweep_id=sweep_id) for i in range(2)]  # fmt: skip
    store.create_run(name="alone", method="lora", base_model="m", dataset="d", config={})
    return sweep_id, runs


def test_deleting_a_sweep_keeps_its_runs_unless_asked(store):
    sweep_id, runs = _sweep_with_runs(store)
    with pytest.raises(GroupStateError, match="still running; stop it first"):
        store.delete_sweep(sweep_id)
    store.finish_sweep(sweep_id, "succeeded")
    assert store.delete_sweep(sweep_id) == []
    assert {r["id"] for r in store.list_runs()} >= set(runs)
    assert all(store.get_run(r)["sweep_id"] is None for r in runs)  # now ordinary runs
    assert store.list_sweeps() == []

    sweep_id, runs = _sweep_with_runs(store)
    store.finish_sweep(sweep_id, "stopped")
    assert store.delete_sweep(sweep_id, delete_runs=True) == sorted(runs, reverse=True)
    left = {r["id"] for r in store.list_runs()}
    assert not left & set(runs) and len(left) == 4  # the first sweep's two runs and two others


def test_a_sweep_left_running_by_a_dead_process_becomes_interrupted(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    path = tmp_path / "studio.db"
    with Store(path) as store:
        dead = store.create_sweep(name="d", method="m", dataset="d", grid={}, config={},
                                  pid=child.pid)  # fmt: skip
        alive = store.create_sweep(name="a", method="m", dataset="d", grid={}, config={})
    with Store(path) as store:  # opening recovers
        assert store.get_sweep(dead)["status"] == "interrupted"
        assert "finished runs are kept" in store.get_sweep(dead)["error"]
        assert store.get_sweep(alive)["status"] == "running"


def test_a_version_2_database_gains_the_sweeps_table_and_keeps_its_rows(tmp_path):
    path = tmp_path / "studio.db"
    old = Database(path)
    migrations.apply(old, stop_before="m003_sweeps")
    old["runs"].insert(
        {"name": "v2", "method": "ptuning_v2", "base_model": "b", "dataset": "d",
         "status": "succeeded", "config": "{}", "created_at": "2024-01-01T00:00:00+00:00",
         "sweep_id": None}
    )  # fmt: skip
    assert "sweeps" not in old.table_names()
    old.close()
    with Store(path) as store:
        assert "m003_sweeps" in [m.name for m in migrations.applied(store.db)]
        assert "m003_sweeps" in migration_names()
        assert {"id", "grid", "status", "pid"} <= set(store.db["sweeps"].columns_dict)
        assert [r["name"] for r in store.list_runs()] == ["v2"]
        sweep_id = store.create_sweep(name="s", method="m", dataset="d", grid={}, config={})
        run_id = store.create_run(name="r", method="m", base_model="b", dataset="d", config={},
                                  sweep_id=sweep_id)  # fmt: skip
        assert [r["id"] for r in store.list_runs(sweep_id=sweep_id)] == [run_id]


# ----------------------------------------------------------------------------- running
@pytest.mark.train
def test_a_2x2_sweep_records_four_runs_with_results_and_the_best(store, reviews, tiny_model_dir):
    events = []
    outcome = run_sweep(store, grid(reviews, tiny_model_dir), events.append)
    assert outcome["status"] == "succeeded", outcome
    sweep_id = outcome["sweep_id"]
    assert store.get_sweep(sweep_id)["status"] == "succeeded"
    assert store.get_sweep(sweep_id)["grid"] == {"num_virtual_tokens": [2, 4], "lr": [0.01, 0.03]}
    runs = sorted(store.list_runs(sweep_id=sweep_id), key=lambda r: r["id"])
    assert [r["name"] for r in runs] == [
        f"sweep {sweep_id} · P=2 · lr=0.01", f"sweep {sweep_id} · P=2 · lr=0.03",
        f"sweep {sweep_id} · P=4 · lr=0.01", f"sweep {sweep_id} · P=4 · lr=0.03",
    ]  # fmt: skip
    assert all(r["status"] == "succeeded" and r["metrics"]["steps"] == 3 for r in runs)
    results = outcome["runs"]
    assert [(r["num_virtual_tokens"], r["lr"]) for r in results] == [
        (2, 0.01), (2, 0.03), (4, 0.01), (4, 0.03),
    ]  # fmt: skip
    assert all(0 <= r["eval_accuracy"] <= 1 and r["train_seconds"] > 0 for r in results)
    assert all(r["eval_f1"] is not None for r in results)
    best = max(results, key=lambda r: r["eval_accuracy"])
    assert outcome["best"]["eval_accuracy"] == best["eval_accuracy"]
    assert outcome["best"]["run_id"] == min(
        r["run_id"] for r in results if r["eval_accuracy"] == best["eval_accuracy"]
    )
    kinds = [e.type for e in events if e.type.startswith("sweep")]
    assert kinds == ["sweep_start"] + ["sweep_point"] * 4 + ["sweep_end"]
    assert sum(e.type == "end" for e in events) == 4  # each run's own events arrive too
    assert sweep.sweep_results(store, sweep_id)["runs"] == results


@pytest.mark.train
def test_stopping_after_the_first_run_keeps_it_and_records_stopped(store, reviews, tiny_model_dir):
    def stop_after_first(event):
        if event.type == "sweep_point":
            sweep.active_sweep().stop()

    outcome = run_sweep(store, grid(reviews, tiny_model_dir), stop_after_first)
    assert outcome["status"] == "stopped"
    assert [r["status"] for r in outcome["runs"]] == ["succeeded"]
    assert outcome["best"]["run_id"] == outcome["runs"][0]["run_id"]
    assert store.get_sweep(outcome["sweep_id"])["status"] == "stopped"
    assert sweep.active_sweep() is None


@pytest.mark.train
def test_stopping_mid_run_keeps_that_run_as_stopped_with_its_result(store, reviews, tiny_model_dir):
    started = []

    def stop_in_second_run(event):
        if event.type == "start":
            started.append(event)
        if event.type == "train" and len(started) == 2:
            sweep.active_sweep().stop()

    config = grid(reviews, tiny_model_dir, max_steps=20, eval_every=20)
    outcome = run_sweep(store, config, stop_in_second_run)
    assert outcome["status"] == "stopped"
    first, second = outcome["runs"]
    assert (first["status"], second["status"]) == ("succeeded", "stopped")
    assert second["eval_accuracy"] is not None  # a stopped run still evaluates and saves
    assert store.get_run(second["run_id"])["metrics"]["steps"] < 20
    assert store.adapter_info(second["run_id"])["size"] > 0


@pytest.mark.train
def test_a_failing_point_is_recorded_and_the_others_continue(
    store, reviews, tiny_model_dir, monkeypatch
):
    setup = Trainer.setup

    def out_of_memory_at_length_4(self):
        if self.config.method_options["num_virtual_tokens"] == 4:
            raise MemoryError
        setup(self)

    monkeypatch.setattr(Trainer, "setup", out_of_memory_at_length_4)
    outcome = run_sweep(store, grid(reviews, tiny_model_dir, lrs=(0.01,)))
    assert outcome["status"] == "succeeded"
    ok, failed = outcome["runs"]
    assert ok["status"] == "succeeded" and ok["eval_accuracy"] is not None
    assert failed["status"] == "failed" and "out of memory" in failed["error"]
    assert outcome["best"]["run_id"] == ok["run_id"]


@pytest.mark.train
def test_a_sweep_whose_every_run_fails_is_failed_with_the_reason(store, tmp_path, tiny_model_dir):
    outcome = run_sweep(store, grid(tmp_path / "missing.csv", tiny_model_dir, lrs=(0.01,)))
    assert outcome["status"] == "failed" and outcome["best"] is None
    assert [r["status"] for r in outcome["runs"]] == ["failed", "failed"]
    assert "every run failed" in outcome["error"] and "missing.csv" in outcome["error"]


@pytest.mark.train
def test_a_sweep_is_refused_while_a_run_trains(store, reviews, tiny_model_dir):
    handle = runs.start(store, base(reviews, tiny_model_dir, method="ptuning_v2",
                                    max_steps=100_000))  # fmt: skip
    run_id = handle.run_id
    try:
        with pytest.raises(BusyError, match="run is training; wait for it to finish or stop it"):
            start_sweep(store, grid(reviews, tiny_model_dir))
    finally:
        handle.stop()
        handle.wait(60)
    assert store.list_sweeps() == []
    assert [r["id"] for r in store.list_runs()] == [run_id]


def current_run(handle, timeout: float = 60):
    """The run of the sweep's point training now, once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = handle.current
        if run is not None:
            return run
        time.sleep(0.05)
    raise AssertionError(f"sweep {handle.sweep_id} started no run in {timeout} s")


@pytest.mark.train
def test_a_run_or_another_sweep_is_refused_while_a_sweep_runs(store, reviews, tiny_model_dir):
    handle = start_sweep(store, grid(reviews, tiny_model_dir, max_steps=100_000))
    try:
        point = current_run(handle)  # the sweep's own run was not refused
        busy = f"sweep {handle.sweep_id} is running on .*; wait for it to finish or stop it first"
        with pytest.raises(BusyError, match=busy):
            runs.start(store, base(reviews, tiny_model_dir, method="ptuning_v2"))
        with pytest.raises(BusyError, match=busy):
            jobs.claim("run", "ptuning_v2")
        again = f"sweep {handle.sweep_id} is still running; .* before starting another"
        with pytest.raises(BusyError, match=again):
            start_sweep(store, grid(reviews, tiny_model_dir))
        assert runs.active() is point and sweep.active_sweep() is handle
    finally:
        handle.stop()
    outcome = handle.wait(120)
    assert outcome["status"] == "stopped"
    assert [r["status"] for r in outcome["runs"]] == ["stopped"]  # no further point started
    assert [r["id"] for r in store.list_runs()] == [outcome["runs"][0]["run_id"]]
    assert [s["id"] for s in store.list_sweeps()] == [handle.sweep_id]
    assert sweep.active_sweep() is None and runs.active() is None


# ----------------------------------------------------------------------------- command line
def cli(capsys, *args):
    code = sweep_cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.train
def test_the_command_line_prints_every_run_and_the_best(tmp_path, reviews, tiny_model_dir, capsys):
    db = tmp_path / "cli.db"
    code, out, err = cli(
        capsys, "--method", "ptuning_v2", "--data", str(reviews), "--model", str(tiny_model_dir),
        "--lengths", "2,4", "--lrs", "0.01", "--max-steps", "2", "--precision", "fp32",
        "--batch-size", "16", "--db", str(db),
    )  # fmt: skip
    assert code == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    assert list(line) == ["sweep_id", "db", "status", "runs", "best"]
    assert line["status"] == "succeeded" and line["db"] == str(db)
    assert [(r["num_virtual_tokens"], r["lr"]) for r in line["runs"]] == [(2, 0.01), (4, 0.01)]
    assert line["best"]["run_id"] in {r["run_id"] for r in line["runs"]}
    assert "run 2 of 2 (P=4, lr=0.01): succeeded" in err
    assert Store(db).get_sweep(line["sweep_id"])["status"] == "succeeded"


def test_the_command_line_rejects_bad_input_with_exit_code_2(tmp_path, capsys):
    db = str(tmp_path / "cli.db")
    cases = {
        "'x' is not a whole number": ["--lengths", "10,x"],
        "has no prompt length to sweep": ["--method", "lora"],
        "--lr does not apply to a sweep; give the learning rates with --lrs": ["--lr", "0.1"],
        "learning rates: 'fast' is not a number": ["--lrs", "fast"],
        "--out does not apply to a sweep; each run gets its own folder": ["--out", "one"],
    }
    for message, extra in cases.items():
        code, out, err = cli(capsys, "--data", "x.csv", "--db", db, *extra)
        assert code == 2 and out == ""
        assert err.startswith("error: ") and message in err, err


def test_the_command_line_help_names_the_grid_flags():
    text = sweep_cli.build_parser().format_help()
    assert text.startswith("usage: python -m core.sweep")
    assert "--lengths" in text and "--lrs" in text and "--max-steps" in text
    assert "--resume-run" not in text and "--num-virtual-tokens" not in text
