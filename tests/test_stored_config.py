"""Stored settings age well: what an earlier version stored is read back (renamed settings
mapped, retired and unknown ones dropped, missing ones at their defaults, values as stored),
and the check of a run that starts names a value that is now out of range."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import pytest
from conftest import train_config, write_reviews

from core import runs
from core.checks import check_run
from core.config import ConfigBase, TrainConfig
from core.config.stored import current_name
from core.errors import ConfigError, ConfigProblems
from core.fewshot.plan import FewShotConfig
from core.methods import METHODS
from core.training import jobs
from core.training.checkpoint import _same_settings

FROZEN = Path(__file__).parent / "data" / "stored_config_v1.json"
"""A run's settings exactly as the first version with stored-settings upgrades wrote them
(``TrainConfig.to_dict()``). Never edit it: a renamed setting goes in ``RENAMED`` instead."""

V2 = METHODS["ptuning_v2"].config_cls


@pytest.fixture()
def warnings(caplog):
    caplog.set_level(logging.WARNING, logger="core.config.stored")
    return caplog


def _expected(cls: type[ConfigBase], stored: dict) -> dict:
    """``stored`` under today's names (retired settings left out)."""
    return {
        current_name(name, cls.RENAMED): value
        for name, value in stored.items()
        if name not in cls.RETIRED
    }


# ----------------------------------------------------------------------------- frozen
def test_a_config_stored_by_the_first_version_reads_back_to_the_same_values(warnings):
    stored = json.loads(FROZEN.read_text(encoding="utf-8"))
    config = TrainConfig.from_stored(stored)
    assert not warnings.records, "a stored setting is unknown: add it to RENAMED or RETIRED"
    expected = _expected(TrainConfig, stored)
    expected["method_options"] = _expected(V2, stored["method_options"])
    assert {name: getattr(config, name) for name in expected} == expected


def test_the_frozen_config_was_a_whole_config_of_its_version():
    stored = json.loads(FROZEN.read_text(encoding="utf-8"))
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(stored) <= known | set(TrainConfig.RENAMED) | set(TrainConfig.RETIRED)
    assert stored["method"] == "ptuning_v2" and len(stored["method_options"]) == 8


# ----------------------------------------------------------------------------- upgrades
def test_a_renamed_setting_takes_its_new_name(monkeypatch, warnings):
    monkeypatch.setattr(TrainConfig, "RENAMED", {"learning_rate": "peak_lr", "peak_lr": "lr"})
    config = TrainConfig.from_stored({"data": "d.csv", "learning_rate": 0.02, "batch_size": 8})
    assert (config.lr, config.batch_size) == (0.02, 8)
    assert not warnings.records


def test_a_value_under_the_new_name_wins_over_one_under_the_old(monkeypatch):
    monkeypatch.setattr(TrainConfig, "RENAMED", {"learning_rate": "lr"})
    assert TrainConfig.from_stored({"lr": 0.1, "learning_rate": 0.02}).lr == 0.1


def test_a_retired_setting_is_dropped_without_a_warning(monkeypatch, warnings):
    monkeypatch.setattr(TrainConfig, "RETIRED", ("cpu_offload",))
    config = TrainConfig.from_stored({"data": "d.csv", "cpu_offload": True})
    assert config.to_dict() == TrainConfig(data="d.csv").to_dict()
    assert not warnings.records


def test_an_unknown_setting_from_a_newer_version_is_dropped_with_a_warning(warnings):
    config = TrainConfig.from_stored({"data": "d.csv", "teleport": 3, "batch_size": 8})
    assert config.batch_size == 8 and not hasattr(config, "teleport")
    assert "TrainConfig" in warnings.text and "teleport" in warnings.text


def test_missing_settings_take_their_defaults():
    assert (
        TrainConfig.from_stored({"data": "d.csv"}).to_dict() == TrainConfig(data="d.csv").to_dict()
    )
    assert TrainConfig.from_stored(None).to_dict() == TrainConfig.from_stored({}).to_dict()


def test_stored_values_are_kept_without_the_range_check():
    config = TrainConfig.from_stored({"data": "d.csv", "batch_size": 99_999, "seed": -1})
    assert (config.batch_size, config.seed) == (99_999, -1)
    with pytest.raises(ConfigError, match=r"batch_size=99999 is out of range"):
        TrainConfig.from_dict({"data": "d.csv", "batch_size": 99_999})


def test_from_dict_still_refuses_unknown_settings():
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) teleport; known settings are"):
        TrainConfig.from_dict({"data": "d.csv", "teleport": 3})


def test_a_setting_without_a_default_missing_from_storage_is_named():
    with pytest.raises(ConfigError, match="FewShotConfig: the stored settings lack base"):
        FewShotConfig.from_stored({"seeds": 2})


def test_the_stored_values_are_copied_not_shared():
    stored = {"data": "d.csv", "method_options": {"num_virtual_tokens": 4}}
    TrainConfig.from_stored(stored).method_options["num_virtual_tokens"] = 9
    assert stored["method_options"] == {"num_virtual_tokens": 4}


# ----------------------------------------------------------------------------- method settings
def test_the_method_settings_of_a_run_are_upgraded_by_their_method(monkeypatch, warnings):
    monkeypatch.setattr(V2, "RENAMED", {"prompt_length": "num_virtual_tokens"})
    monkeypatch.setattr(V2, "RETIRED", ("reparameterize",))
    stored = {
        "data": "d.csv", "method": "ptuning_v2",
        "method_options": {"prompt_length": 7, "reparameterize": True, "warp": 1},
    }  # fmt: skip
    config = TrainConfig.from_stored(stored)
    assert config.method_options == {"num_virtual_tokens": 7}  # no defaults added
    assert "PTuningV2Settings" in warnings.text and "warp" in warnings.text


def test_the_method_settings_of_a_method_no_longer_there_are_kept_for_the_check_to_name():
    stored = {"data": "d.csv", "method": "prefix_tuning", "method_options": {"depth": 3}}
    config = TrainConfig.from_stored(stored)
    assert config.method_options == {"depth": 3}
    problems = check_run(config).problems
    assert any(
        p.setting == "method" and "unknown method 'prefix_tuning'" in p.message for p in problems
    )


def test_an_adapter_s_stored_method_settings_are_read_without_the_range_check():
    lora = METHODS["lora"].config_cls
    settings = lora.from_stored({"r": 999, "alpha": 16})
    assert (settings.r, settings.alpha) == (999, 16)
    assert settings.dropout == lora().dropout


# ----------------------------------------------------------------------------- out of range
def test_the_run_check_names_a_stored_value_now_out_of_range(tiny_model_dir):
    config = TrainConfig.from_stored(
        {"data": "d.csv", "model": str(tiny_model_dir), "method": "head_only", "batch_size": 0}
    )
    problems = check_run(config).problems
    assert [p.setting for p in problems] == ["batch_size"]
    assert "batch_size=0 is out of range; use a value from 1 to 4096" in problems[0].message


def test_resuming_a_run_whose_stored_value_is_now_out_of_range_names_it(
    store, tmp_path, tiny_model_dir
):
    data = write_reviews(tmp_path / "reviews.csv", rows=60)
    config = train_config(tmp_path, data, tiny_model_dir, max_steps=5000)
    handle = runs.start(store, config)
    run_id = handle.run_id
    deadline = time.monotonic() + 120
    while store.last_step(run_id) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    jobs.stop()
    assert handle.wait(120)["status"] == "stopped"
    store.update_run(run_id, config={**store.get_run(run_id)["config"], "batch_size": 0})

    with pytest.raises(ConfigProblems, match=r"batch_size=0 is out of range") as caught:
        runs.resume(store, run_id)
    assert [p.setting for p in caught.value.problems] == ["batch_size"]
    assert store.get_run(run_id)["status"] == "stopped"  # the record is as it was


def test_a_checkpoint_written_before_a_setting_was_added_has_the_same_settings():
    config = TrainConfig(data="d.csv", batch_size=8)
    older = {k: v for k, v in config.to_dict().items() if k != "eval_sample_rows"}
    assert _same_settings(older, config)
    assert not _same_settings({**older, "batch_size": 16}, config)
    assert not _same_settings(None, config)
