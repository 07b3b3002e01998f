"""Mistakes people make every day get a clear answer, or simply work."""

from __future__ import annotations

import json

import pytest

from app.server.api import parse_config, predict
from core import runs
from core.checks import checked
from core.cli import build_parser, config_from_args
from core.errors import ConfigError
from core.train import main
from storage.store import Store


def _values(tiny_model_dir, **extra):
    return {"data": "x.csv", "model": str(tiny_model_dir), "method": "lora", **extra}


def test_numbers_written_as_people_write_them_are_numbers(tiny_model_dir, tmp_path):
    text = f"data: x.csv\nmodel: {tiny_model_dir}\nmethod: lora\nlr: 1e-3\nbatch_size: '16'\nr: 4\n"
    config = checked(parse_config(text)).config  # YAML reads 1e-3 (no dot) as text
    assert (config.lr, config.batch_size, config.method_options) == (0.001, 16, {"r": 4})
    (tmp_path / "run.yaml").write_text(text + "max_steps: 20.0\n", encoding="utf-8")
    config = config_from_args(build_parser().parse_args(["--config", str(tmp_path / "run.yaml")]))
    assert (config.lr, config.max_steps) == (0.001, 20)
    assert isinstance(config.max_steps, int)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("batch_size", 2.5, "Batch size: batch_size=2.5 must be a whole number, e.g. 2"),
        ("max_steps", float("nan"), "Max steps: max_steps=nan must be a finite number"),
        ("lr", float("inf"), "Learning rate: lr=inf must be a finite number"),
        ("epochs", "many", "Epochs: epochs='many' must be a number"),
    ],
)
def test_a_number_that_cannot_be_used_is_named_with_the_fix(
    tiny_model_dir, setting, value, message
):
    with pytest.raises(ConfigError) as caught:
        checked(_values(tiny_model_dir, **{setting: value}))
    assert [str(p) for p in caught.value.problems] == [message]


def test_the_command_line_answers_a_fractional_batch_size_in_words(
    tiny_model_dir, tmp_path, capsys
):
    config = tmp_path / "run.yaml"
    config.write_text(f"data: x.csv\nmodel: {tiny_model_dir}\nbatch_size: 2.5\n", "utf-8")
    assert main(["--config", str(config)]) == 2  # once a TypeError from deep in the loop
    assert "batch_size=2.5 must be a whole number" in capsys.readouterr().err


def test_predict_names_a_run_id_that_is_no_number_and_refuses_empty_text(state):
    with pytest.raises(ValueError, match="run id 'abc' is not a run number"):
        predict(state, "a fine film", ["abc"])
    with pytest.raises(ValueError, match="the text is empty"):
        predict(state, "   ", [1])


@pytest.mark.train
def test_resume_run_alone_continues_with_the_recorded_settings(
    tmp_path, reviews, tiny_model_dir, capsys
):
    db = tmp_path / "home" / "studio.db"
    store = Store(db)
    config = checked(_values(tiny_model_dir, data=str(reviews), method="head_only",
                             max_steps=4, precision="fp32")).config  # fmt: skip
    handle = runs.start(store, config)
    run_id = handle.run_id
    handle.stop()  # at its first step boundary: a run with its training still ahead
    assert handle.wait(120)["status"] == "stopped"
    assert main(["--db", str(db), "--resume-run", str(run_id), "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (summary["run_id"], summary["status"], summary["steps"]) == (run_id, "succeeded", 4)


def test_resume_run_names_a_missing_run_and_a_missing_database(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "studio.db"), "--resume-run", "999", "--quiet"]) == 2
    assert "no run with id 999" in capsys.readouterr().err
    assert main(["--resume-run", "3"]) == 2
    assert "--resume-run continues a run recorded in a database; add --db" in (
        capsys.readouterr().err
    )
