"""Gradient checkpointing: the run recomputes activations instead of keeping them, and trains
the same numbers as without it."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import tiny_inputs, tiny_model, train_config

from core.errors import InputError
from core.methods import METHODS
from core.runs import train_unrecorded
from core.training.run_setup import RunSetup, checkpoint_activations


def _step_loss(model: torch.nn.Module) -> tuple[float, list[torch.Tensor]]:
    """One training forward and backward from the same random state; the loss and gradients."""
    model.train()
    torch.manual_seed(1)  # the same dropout masks (checkpointing replays the random state)
    inputs = tiny_inputs()
    out = model(**inputs, labels=torch.tensor([0, 1]))
    out.loss.backward()
    grads = [p.grad.clone() for p in model.parameters() if p.requires_grad]
    return float(out.loss.detach()), grads


@pytest.mark.parametrize("method", [m for m in METHODS if METHODS[m].backward_through_layers])
def test_checkpointing_gives_the_same_loss_and_gradients(method):
    wrap = METHODS[method]
    plain_base = tiny_model(seed=0)
    torch.manual_seed(5)  # the same fresh method weights (a prompt's start, LoRA's A) for both
    plain = wrap.wrap(plain_base, wrap.config_cls())
    base = tiny_model(seed=0)
    checkpoint_activations(base, "tiny")
    assert base.is_activation_checkpointing
    torch.manual_seed(5)
    recomputed = wrap.wrap(base, wrap.config_cls())
    loss, grads = _step_loss(plain)
    loss_cp, grads_cp = _step_loss(recomputed)
    assert math.isfinite(loss)
    assert loss_cp == pytest.approx(loss, rel=1e-5)
    assert len(grads) == len(grads_cp)
    for grad, grad_cp in zip(grads, grads_cp, strict=True):
        torch.testing.assert_close(grad_cp, grad, rtol=1e-4, atol=1e-6)


def test_a_model_without_checkpointing_is_refused_by_name():
    model = tiny_model()
    model.supports_gradient_checkpointing = False
    with pytest.raises(InputError, match="tiny cannot recompute its activations"):
        checkpoint_activations(model, "tiny")


@pytest.mark.train
def test_a_full_run_with_checkpointing_turns_it_on_and_trains(tmp_path, reviews, tiny_model_dir):
    config = train_config(
        tmp_path, reviews, tiny_model_dir, method="full", gradient_checkpointing=True, max_steps=4
    )
    setup = RunSetup(config)
    setup.setup()
    assert setup._unwrapped().is_activation_checkpointing
    events: list = []
    summary = train_unrecorded(config, events.append)
    assert summary["status"] == "succeeded", summary.get("error")
    losses = [e.loss for e in events if e.type == "train"]
    assert losses and all(math.isfinite(loss) for loss in losses)
