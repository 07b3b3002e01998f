"""The training loop end to end on tiny models: learns, stops, fails cleanly, resumes."""

from __future__ import annotations

import csv
import functools
import json
import math
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from conftest import train_config

from core import runs
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.errors import BusyError, ConfigError
from core.methods import get_method
from core.runs import train_unrecorded
from core.training.inputs import check_config
from core.training.optimizer import lr_schedule
from core.training.schedule import lr_factor
from core.training.trainer import Trainer


@pytest.mark.train
def test_training_records_events_and_saves_a_loadable_adapter(tmp_path, reviews, tiny_model_dir):
    events: list = []
    summary = train_unrecorded(
        train_config(tmp_path, reviews, tiny_model_dir, method="ptuning_v2", eval_every=10),
        events.append,
    )
    assert summary["status"] == "succeeded", summary.get("error")
    kinds = [e.type for e in events]
    assert kinds[0] == "start" and kinds[-1] == "end"
    train_events = [e for e in events if e.type == "train"]
    assert [e.step for e in train_events] == list(range(1, 31))
    for key in ("loss", "lr", "samples_per_second", "eta_seconds", "epoch"):
        assert all(math.isfinite(getattr(e, key)) for e in train_events)
    evals = [e for e in events if e.type == "eval"]
    assert [e.step for e in evals] == [10, 20, 30, 30]
    assert len(evals[-1].metrics["eval_confusion_matrix"]) == 2
    for key in (
        "eval_accuracy",
        "eval_f1",
        "eval_loss",
        "train_samples_per_second",
        "trainable_params",
        "total_params",
        "adapter_bytes",
        "adapter_path",
    ):
        assert key in summary
    predictions = Predictor(precision="fp32").predict(["a great film"], [summary["adapter_path"]])
    row = predictions[summary["adapter_path"]][0]
    assert row["label"] in ("negative", "positive")
    assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.train
def test_learning_rate_warms_up_then_decays_to_zero(tmp_path, reviews, tiny_model_dir):
    events: list[dict] = []
    train_unrecorded(
        train_config(tmp_path, reviews, tiny_model_dir, warmup_ratio=0.2, lr=1e-2), events.append
    )
    lrs = [e.lr for e in events if e.type == "train"]
    peak = lrs.index(max(lrs))
    assert 0 < peak < 10 and max(lrs) == pytest.approx(1e-2)
    assert lrs[-1] == pytest.approx(0.0, abs=1e-9)
    assert all(a >= b for a, b in zip(lrs[peak:], lrs[peak + 1 :], strict=False))


@pytest.mark.train
def test_stop_ends_at_a_step_boundary_and_still_saves(tmp_path, reviews, tiny_model_dir):
    stop = threading.Event()

    def on_event(event: dict) -> None:
        if event.type == "train" and event.step == 5:
            stop.set()

    summary = Trainer(train_config(tmp_path, reviews, tiny_model_dir), on_event, stop).run()
    assert summary["status"] == "stopped"
    assert summary["steps"] == 5
    assert (Path(summary["adapter_path"]) / "ptune_adapter.json").is_file()


@pytest.mark.train
def test_early_stopping_ends_after_patience_evaluations_without_gain(
    tmp_path, reviews, tiny_model_dir
):
    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir, max_steps=100,
                                            eval_every=5, early_stopping_patience=2, lr=1e-7,
                                            warmup_ratio=0.0))  # fmt: skip
    assert summary["status"] == "succeeded"
    assert summary["steps"] == 15 and summary["best_step"] == 5


@pytest.mark.train
def test_missing_data_ends_failed_with_a_readable_reason(tmp_path, tiny_model_dir):
    summary = train_unrecorded(train_config(tmp_path, tmp_path / "nope.csv", tiny_model_dir))
    assert summary["status"] == "failed"
    assert "nope.csv" in summary["error"]
    assert "Traceback" not in summary["error"]


@pytest.mark.train
def test_out_of_memory_is_named_and_fails_the_run(tmp_path, reviews, tiny_model_dir, monkeypatch):
    def explode(self, indices, batch):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(Trainer, "_step", explode)
    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir))
    assert summary["status"] == "failed"
    assert summary["error"].startswith("out of memory: lower the batch size")


@pytest.mark.train
def test_diverging_loss_fails_with_advice(tmp_path, reviews, tiny_model_dir, monkeypatch):
    original = torch.nn.functional.cross_entropy

    def nan_loss(*args, **kwargs):
        return original(*args, **kwargs) * float("nan")

    monkeypatch.setattr("core.training.trainer.F.cross_entropy", nan_loss)
    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir))
    assert summary["status"] == "failed" and "lower the learning rate" in summary["error"]


@pytest.mark.train
def test_the_loss_is_read_once_per_log_interval(tmp_path, reviews, tiny_model_dir, monkeypatch):
    """The host waits for the device only when it logs: a loss that goes wrong at step 3 is
    seen at the log step 5, and the run fails there, naming it."""
    step, steps = Trainer._step, []

    def nan_at_step_3(self, indices, batch):
        steps.append(self.state.step + 1)
        loss = step(self, indices, batch)
        return loss * float("nan") if self.state.step + 1 == 3 else loss

    monkeypatch.setattr(Trainer, "_step", nan_at_step_3)
    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir, log_every=5))
    assert summary["status"] == "failed"
    assert summary["error"].startswith("the loss became nan by step 5;")
    assert steps == [1, 2, 3, 4, 5]  # steps 4 and 5 ran before the read, none after it


def test_whole_form_is_checked_and_every_problem_listed(tiny_model_dir):
    bad = TrainConfig(
        data="x.csv",
        method="lora",
        model=str(tiny_model_dir),
        method_options={"rank": 4, "encoder": "lstm"},
    )
    with pytest.raises(ConfigError) as err:
        check_config(bad)
    assert "rank" in str(err.value) and "encoder" in str(err.value)
    with pytest.raises(ConfigError, match=r"batch_size=0 is out of range.*lr=5 is out of range"):
        TrainConfig(data="x", batch_size=0, lr=5)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load a model from the folder"):
        check_config(TrainConfig(data="x.csv", model=str(tmp_path / "no-model")))


def test_hub_model_offline_is_a_clear_error(monkeypatch):
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read at import
    with pytest.raises(ConfigError, match="from the Hugging Face Hub.*internet connection"):
        check_config(TrainConfig(data="x.csv", model="no-such-org/no-such-model"))


@pytest.mark.train
def test_prompt_tokens_shorten_inputs_to_fit_position_limit(tmp_path, tiny_model_dir):
    data = tmp_path / "long.csv"
    rows = [["text", "label"]] + [[" ".join(["word"] * 200), str(i % 2)] for i in range(40)]
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    summary = train_unrecorded(
        train_config(
            tmp_path,
            data,
            tiny_model_dir,
            method="prompt_tuning",
            max_steps=2,
            method_options={"num_virtual_tokens": 20},
        )
    )
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["max_length"] == 64 - 20  # the tiny model has 64 positions


@pytest.mark.train
def test_one_run_per_device_and_stop_works(tmp_path, store, reviews, tiny_model_dir):
    handle = runs.start(store, train_config(tmp_path, reviews, tiny_model_dir, max_steps=100_000))
    try:
        with pytest.raises(BusyError, match="already training"):
            runs.start(store, train_config(tmp_path / "b", reviews, tiny_model_dir))
        assert runs.active() is handle
    finally:
        handle.stop()
    summary = handle.wait(60)
    assert summary is not None and summary["status"] == "stopped"
    assert runs.active() is None


@pytest.mark.train
def test_resume_continues_from_the_checkpoint(tmp_path, reviews, tiny_model_dir):
    first = train_unrecorded(
        train_config(
            tmp_path,
            reviews,
            tiny_model_dir,
            max_steps=20,
            eval_every=10,
            method="ptuning_v1",
            method_options={"encoder": "lstm"},
        )
    )
    assert first["status"] == "succeeded", first.get("error")
    events: list[dict] = []
    resumed = train_unrecorded(
        train_config(
            tmp_path,
            reviews,
            tiny_model_dir,
            max_steps=30,
            eval_every=10,
            method="ptuning_v1",
            method_options={"encoder": "lstm"},
        ),
        events.append,
        resume_from=first["checkpoint_path"],
    )
    assert resumed["status"] == "succeeded", resumed.get("error")
    steps = [e.step for e in events if e.type == "train"]
    assert steps[0] == 21 and steps[-1] == 30


@pytest.mark.train
def test_time_budget_cuts_the_planned_steps(tmp_path, reviews, tiny_model_dir):
    events: list[dict] = []
    train_unrecorded(
        train_config(
            tmp_path,
            reviews,
            tiny_model_dir,
            max_steps=1_000_000,
            time_budget_minutes=0.1,
            log_every=50,
        ),
        events.append,
    )
    planned = [e.total_steps for e in events if e.type == "train"]
    assert planned and planned[-1] < 1_000_000


@pytest.mark.train
def test_command_line_prints_a_json_summary_last(tmp_path, reviews, tiny_model_dir):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.train",
            "--method",
            "ptuning_v2",
            "--data",
            str(reviews),
            "--model",
            str(tiny_model_dir),
            "--max-steps",
            "4",
            "--batch-size",
            "8",
            "--num-virtual-tokens",
            "4",
            "--out",
            str(tmp_path / "cli"),
            "--precision",
            "fp32",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "method",
        "status",
        "eval_accuracy",
        "eval_f1",
        "train_samples_per_second",
        "train_seconds",
        "trainable_params",
        "total_params",
        "adapter_bytes",
        "adapter_path",
    ):
        assert key in summary, key
    assert summary["method"] == "ptuning_v2" and summary["status"] == "succeeded"


@pytest.mark.train
def test_command_line_rejects_a_setting_of_another_method(tmp_path, reviews):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.train",
            "--method",
            "lora",
            "--data",
            str(reviews),
            "--encoder",
            "lstm",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert result.returncode == 2
    assert "--encoder does not apply to method lora" in result.stderr


def test_yaml_config_is_read_and_flags_override_it(tmp_path):
    from core.cli import build_parser, config_from_args

    path = tmp_path / "run.yaml"
    path.write_text("method: lora\ndata: a.csv\nlr: 0.002\nr: 4\n", encoding="utf-8")
    args = build_parser().parse_args(["--config", str(path), "--lr", "0.001", "--alpha", "8"])
    cfg = config_from_args(args)
    assert cfg.method == "lora" and cfg.lr == 0.001
    assert cfg.method_options == {"r": 4, "alpha": 8}


def test_a_prompt_too_long_for_the_model_is_refused(tiny_model_dir):
    too_long = TrainConfig(data="x.csv", method="prompt_tuning", model=str(tiny_model_dir),
                           method_options={"num_virtual_tokens": 60})  # fmt: skip
    with pytest.raises(ConfigError, match="takes 60 of the model's 64 positions"):
        check_config(too_long)


def test_form_values_out_of_range_are_all_listed_with_their_labels(tiny_model_dir):
    from core.checks import run_problems

    values = {"data": "x.csv", "model": str(tiny_model_dir), "batch_size": 0, "lr": 5.0,
              "method": "lora", "method_options": {"r": 0}}  # fmt: skip
    problems = [str(p) for p in run_problems(values)]
    assert any(p.startswith("Batch size: batch_size=0") for p in problems)
    assert any(p.startswith("Learning rate: lr=5.0") for p in problems)
    assert any(p.startswith("Rank r: r=0") for p in problems)


@pytest.mark.train
def test_a_run_cut_short_by_its_time_budget_still_reports_its_speed(
    tmp_path, reviews, tiny_model_dir, monkeypatch
):
    def cut_now(self, now):  # the budget runs out right after step 3, between log lines
        if self.state.step == 3:
            self.state.total_steps = 3

    monkeypatch.setattr(Trainer, "_maybe_replan", cut_now)
    summary = train_unrecorded(
        train_config(tmp_path, reviews, tiny_model_dir, max_steps=50, log_every=100)
    )
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["steps"] == 3
    assert summary["train_seconds"] > 0 and summary["train_samples_per_second"] > 0


@pytest.mark.train
def test_the_learning_rate_after_a_resume_continues_the_schedule(tmp_path, reviews, tiny_model_dir):
    def run(name, stop_at=None, resume_from=None):
        events: list[dict] = []
        stop = threading.Event()

        def callback(event):
            events.append(event)
            if event.type == "train" and event.step == stop_at:
                stop.set()  # after the evaluation and checkpoint of this step

        settings = train_config(tmp_path, reviews, tiny_model_dir, method="prompt_tuning",
                                max_steps=30, eval_every=10, warmup_ratio=0.2,
                                out=str(tmp_path / name))  # fmt: skip
        summary = train_unrecorded(settings, callback, stop, resume_from=resume_from)
        return summary, {e.step: e.lr for e in events if e.type == "train"}

    _, whole = run("whole")
    stopped, before = run("stopped", stop_at=20)
    assert stopped["status"] == "stopped" and max(before) == 20
    resumed, after = run("stopped", resume_from=stopped["checkpoint_path"])
    assert resumed["status"] == "succeeded", resumed.get("error")
    assert sorted(after) == list(range(21, 31))
    lr = get_method("prompt_tuning").default_lr
    for step in range(21, 31):
        assert after[step] == pytest.approx(whole[step])
        assert after[step] == pytest.approx(lr * lr_factor(step, 30, 0.2))
    assert after[30] == 0.0


def test_a_schedule_built_mid_run_continues_the_one_it_replaces():
    factor = functools.partial(lr_factor, total_steps=12, warmup_ratio=0.25)
    steps = [lr_factor(step, 12, 0.25) for step in range(13)]
    assert steps[:4] == [1 / 3, 2 / 3, 1.0, 1.0] and steps[-1] == 0.0
    weight = torch.nn.Parameter(torch.zeros(1))
    whole = lr_schedule(torch.optim.SGD([weight], lr=0.5), factor, start=0)
    for _ in range(5):
        whole.optimizer.step()
        whole.step()
    rebuilt = lr_schedule(torch.optim.SGD([weight], lr=0.5), factor, start=5)
    assert rebuilt.get_last_lr() == pytest.approx(whole.get_last_lr())
    for _ in range(4):
        for schedule in (whole, rebuilt):
            schedule.optimizer.step()
            schedule.step()
        assert rebuilt.get_last_lr() == pytest.approx(whole.get_last_lr())


# ----------------------------------------------------------------------------- processes
def test_a_single_process_keeps_pythons_own_handling_of_ctrl_c():
    import signal

    from core.training.ranks import StopSignal, stop_on_signals

    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with stop_on_signals(StopSignal()):
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_signal_that_came_before_the_run_stops_it_once_attached():
    from core.training.ranks import StopSignal

    signals, first, second = StopSignal(), threading.Event(), threading.Event()
    signals.attach(first.set)
    assert not first.is_set()
    signals()  # SIGTERM
    assert first.is_set() and signals.received
    signals.attach(second.set)  # the next run of a group
    assert second.is_set()


def test_a_failed_run_names_the_process_that_failed_not_the_one_that_lost_it():
    from core.training.ranks import lost_contact

    assert lost_contact("RuntimeError: [gloo/transport/tcp/unbound_buffer.cc:78] Timed out "
                        "waiting 600000ms for recv operation to complete")  # fmt: skip
    assert lost_contact("RuntimeError: [pair.cc:553] Connection closed by peer [127.0.0.1]:1")
    assert not lost_contact("out of memory: lower the batch size or the max length")
