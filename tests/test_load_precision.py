"""A frozen backbone loads in the run's compute precision (its fp32 copy never exists), while
what the method trains is fp32 and still learns."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch
from conftest import train_config, write_reviews

from core.methods import METHODS
from core.runs import train_unrecorded
from core.training import run_setup
from core.training.precision import trainable_in_fp32
from core.training.trainer import Trainer

FROZEN_BACKBONE = [name for name, method in METHODS.items() if not method.whole_model]


def _set_up(monkeypatch, config) -> tuple[Trainer, list[torch.dtype]]:
    loaded: list[torch.dtype] = []
    load = run_setup.load_base

    def recording_load(name, labels, dtype=torch.float32, *args, **kwargs):
        loaded.append(dtype)
        return load(name, labels, dtype, *args, **kwargs)

    monkeypatch.setattr(run_setup, "load_base", recording_load)
    setup = Trainer(config)
    setup.setup()
    return setup, loaded


@pytest.mark.parametrize("method", FROZEN_BACKBONE)
def test_a_frozen_backbone_loads_in_bf16_and_trains_in_fp32(
    tmp_path, reviews, tiny_model_dir, monkeypatch, method
):
    config = train_config(tmp_path, reviews, tiny_model_dir, method=method, precision="bf16")
    setup, loaded = _set_up(monkeypatch, config)
    assert loaded == [torch.bfloat16]
    params = list(setup.model.parameters())
    assert {p.dtype for p in params if not p.requires_grad} == {torch.bfloat16}
    trainable = [p for p in params if p.requires_grad]
    assert trainable and {p.dtype for p in trainable} == {torch.float32}
    before = [p.detach().clone() for p in trainable]
    rows = list(range(8))  # one step of the loop moves the trained weights
    setup.model.train()
    loss = setup._step(rows, setup.train_features.batch(rows, setup.pad_id))
    assert torch.isfinite(loss)
    assert any(not torch.equal(b, p.detach()) for b, p in zip(before, trainable, strict=True))


def test_full_fine_tuning_and_fp32_runs_load_in_fp32(
    tmp_path, reviews, tiny_model_dir, monkeypatch
):
    full = train_config(tmp_path, reviews, tiny_model_dir, method="full", precision="bf16")
    assert _set_up(monkeypatch, full)[1] == [torch.float32]
    plain = train_config(tmp_path, reviews, tiny_model_dir, method="lora", precision="fp32")
    setup, loaded = _set_up(monkeypatch, plain)
    assert loaded == [torch.float32]
    assert {p.dtype for p in setup.model.parameters()} == {torch.float32}


def test_a_layer_that_trains_any_tensor_comes_back_to_fp32_whole():
    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4)).to(torch.bfloat16)
    model.requires_grad_(False)
    model[1].bias.requires_grad_(True)
    assert trainable_in_fp32(model) == 2
    assert (model[1].weight.dtype, model[1].bias.dtype) == (torch.float32, torch.float32)
    assert model[0].weight.dtype == torch.bfloat16


@pytest.mark.train
def test_a_grown_bf16_run_resumes_at_its_grown_size(tmp_path, reviews, tiny_model_dir):
    """Setup runs the mixed model (bf16 frozen, fp32 trained) to start a resumed prompt's rows:
    under autocast, as the loop does when the prompt grows."""
    stop = threading.Event()

    def stop_after_growth(event):
        if event.type == "checkpoint" and event.step >= 4:
            stop.set()

    run = train_config(
        tmp_path, reviews, tiny_model_dir, method="ptuning_v2", max_steps=8, eval_every=2,
        keep_best=False, precision="bf16", method_options={"grow": "2,4"},
    )  # fmt: skip
    first = train_unrecorded(run, stop_after_growth, stop)
    assert first["status"] == "stopped" and first["prompt_length"] == 4
    resumed = train_unrecorded(run, resume_from=tmp_path / "run" / "checkpoint")
    assert resumed["status"] == "succeeded", resumed.get("error")
    assert resumed["steps"] == 8 and resumed["prompt_length"] == 4


@pytest.mark.train
def test_a_multitask_bf16_run_sets_up_its_prompt_over_fresh_heads(tmp_path, tiny_model_dir):
    """P-Tuning v2 starts its prefix from the model's own activations while it wraps the base:
    each task's fresh head joins the bf16 base in its dtype, and trains in fp32 afterwards."""
    first = write_reviews(tmp_path / "first.csv", rows=40)
    second = write_reviews(tmp_path / "second.csv", rows=40)
    run = dataclasses.replace(
        train_config(tmp_path, first, tiny_model_dir, method="ptuning_v2", max_steps=4,
                     eval_every=2, precision="bf16"),
        data="", tasks={"first": str(first), "second": str(second)},
    )  # fmt: skip
    summary = train_unrecorded(run)
    assert summary["status"] == "succeeded", summary.get("error")
