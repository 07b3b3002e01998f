"""Each run trains in its own precision, also after a run in another one in the same process."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from accelerate import Accelerator
from conftest import train_config, write_reviews

from core.hardware import resolve_precision
from core.runs import train_unrecorded
from core.training.precision import MixedPrecision
from core.training.trainer import Trainer


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=64)


@pytest.mark.train
def test_runs_in_one_process_each_compute_in_their_own_precision(
    tmp_path, reviews, tiny_model_dir, monkeypatch
):
    """bf16, then fp32, then bf16 again: the layers of each training step compute in the run's
    dtype (the logits the loss sees are fp32 either way, so they would not tell)."""
    seen: dict[str, set[torch.dtype]] = {}
    step = Trainer._step

    def recording_step(self, indices, batch):
        dtypes = seen.setdefault(self.out.name, set())
        linears = [m for m in self.model.modules() if isinstance(m, torch.nn.Linear)]
        hooks = [m.register_forward_hook(lambda m, i, out: dtypes.add(out.dtype)) for m in linears]
        try:
            return step(self, indices, batch)
        finally:
            for hook in hooks:
                hook.remove()

    monkeypatch.setattr(Trainer, "_step", recording_step)
    summaries = {}
    for name, precision in [("a", "bf16"), ("b", "fp32"), ("c", "bf16")]:
        run = train_config(tmp_path, reviews, tiny_model_dir, method="lora", max_steps=2,
                           precision=precision, out=str(tmp_path / name))  # fmt: skip
        summaries[name] = train_unrecorded(run)
        assert summaries[name]["status"] == "succeeded", summaries[name].get("error")
    assert seen == {"a": {torch.bfloat16}, "b": {torch.float32}, "c": {torch.bfloat16}}
    assert [s["precision"] for s in summaries.values()] == ["bf16", "no", "bf16"]


def _tiny_step(mixed: MixedPrecision, model: torch.nn.Module, optimizer, scale_input: float):
    with mixed.autocast():
        out = model(torch.full((2, 4), scale_input))
    loss = out.float().pow(2).mean()
    mixed.scale(loss).backward()
    mixed.unscale(optimizer)
    stepped = mixed.step(optimizer)
    optimizer.zero_grad(set_to_none=True)
    return stepped


def test_fp16_scales_the_loss_and_skips_a_step_whose_gradients_overflow():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 4)
    # Accelerate's device is the process's (a GPU's, once a run chose it): nothing moves here.
    optimizer = Accelerator(mixed_precision="no", device_placement=False).prepare(
        torch.optim.SGD(model.parameters(), lr=0.1)
    )
    mixed = MixedPrecision("fp16", "cpu")  # fp16 autocast runs on CPUs too, for this check
    assert mixed.scale(torch.tensor(1.0)).item() == mixed.scaler.get_scale() > 1
    before = model.weight.detach().clone()
    assert not _tiny_step(mixed, model, optimizer, 1e4)  # the scaled gradients overflow
    assert torch.equal(model.weight, before)  # a skipped step leaves the copy exactly as it was
    assert _tiny_step(mixed, model, optimizer, 1.0)
    assert not torch.equal(model.weight, before)


def test_fp32_and_bf16_never_scale_or_skip():
    for precision, dtype in [("no", torch.float32), ("bf16", torch.bfloat16)]:
        mixed = MixedPrecision(precision, "cpu")
        model = torch.nn.Linear(4, 4)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with mixed.autocast():
            assert model(torch.ones(1, 4)).dtype == dtype
        assert mixed.scale(torch.tensor(3.0)).item() == 3.0
        assert _tiny_step(mixed, model, optimizer, 1e4)


@pytest.mark.parametrize(
    ("major", "emulated", "chosen"),
    [(7, True, "fp16"), (7, False, "fp16"), (8, True, "bf16"), (9, True, "bf16")],
)
def test_auto_precision_on_a_gpu_is_bf16_only_where_it_is_native(
    major, emulated, chosen, monkeypatch
):
    """A V100 or T4 (compute capability 7) says it supports bf16, by emulation: fp16 there."""
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device: SimpleNamespace(
        major=major, minor=0))  # fmt: skip
    monkeypatch.setattr(torch.cuda, "_check_bf16_tensor_supported", lambda device: emulated)
    assert torch.cuda.is_bf16_supported() == (major >= 8 or emulated)  # what torch reports
    assert resolve_precision("auto", "cuda") == chosen
    assert resolve_precision("bf16", "cuda") == "bf16"  # asked for: as asked


@pytest.mark.train
@pytest.mark.parametrize("method", ["lora", "ptuning_v2"])
def test_a_bf16_run_keeps_its_frozen_weights_in_bf16_and_saves_an_fp32_adapter(
    tmp_path, reviews, tiny_model_dir, monkeypatch, method
):
    from safetensors.torch import load_file

    seen: list[set[tuple[bool, torch.dtype]]] = []
    step = Trainer._step

    def recording_step(self, indices, batch):
        seen.append({(p.requires_grad, p.dtype) for p in self.model.parameters()})
        return step(self, indices, batch)

    monkeypatch.setattr(Trainer, "_step", recording_step)
    summary = train_unrecorded(train_config(tmp_path, reviews, tiny_model_dir, method=method,
                                            precision="bf16", max_steps=3))  # fmt: skip
    assert summary["status"] == "succeeded", summary.get("error")
    assert seen and all(kinds == {(False, torch.bfloat16), (True, torch.float32)} for kinds in seen)
    weights = next(p for p in Path(summary["adapter_path"]).glob("*.safetensors"))
    assert {t.dtype for t in load_file(str(weights)).values()} == {torch.float32}
