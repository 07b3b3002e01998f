"""Every method learns on real SST-2 sentences with the built-in MiniLM; frozen weights stay."""

from __future__ import annotations

import pytest
import torch
from conftest import shared_path

from core.config import TrainConfig
from core.data import load_data
from core.methods import METHODS
from core.trainer import Trainer

STEPS = 40


@pytest.fixture(scope="module")
def sst2_slice():
    return load_data(shared_path("sst2"), max_train_rows=STEPS * 16)


@pytest.mark.parametrize("name", list(METHODS))
def test_each_method_lowers_the_loss_and_keeps_frozen_weights(name, sst2_slice, tmp_path):
    config = TrainConfig(data="sst2", method=name, max_steps=STEPS, batch_size=16, log_every=1,
                         eval_every=STEPS, max_eval_rows=64, out=str(tmp_path), seed=0)  # fmt: skip
    trainer = Trainer(config, data=sst2_slice)
    losses: list[float] = []
    trainer.callback = lambda e: losses.append(e["loss"]) if e["type"] == "train" else None
    trainer.setup()
    frozen = {n: p.detach().clone() for n, p in trainer.model.named_parameters()
              if not p.requires_grad}  # fmt: skip
    trainer.loop()
    assert len(losses) == STEPS
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.02, f"{name}: loss {first:.3f} -> {last:.3f}"
    moved = [n for n, p in trainer.model.named_parameters()
             if n in frozen and not torch.equal(p, frozen[n])]  # fmt: skip
    assert moved == []
    if name != "full":
        assert len(frozen) > 0
