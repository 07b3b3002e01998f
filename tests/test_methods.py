"""Every method: wraps tiny models of each architecture, freezes what it must, saves and reloads."""

from __future__ import annotations

import json

import pytest
import torch
from conftest import tiny_inputs, tiny_model
from transformers import AutoModelForSequenceClassification

from core.config import TrainConfig
from core.errors import ConfigError
from core.methods import METHODS, get_method
from core.methods.base import count_parameters
from core.training.artifacts import load_adapter, save_adapter

ARCHITECTURES = ["bert", "roberta", "distilbert"]


@pytest.mark.parametrize("model_type", ARCHITECTURES)
@pytest.mark.parametrize("name", list(METHODS))
def test_every_method_runs_forward_and_backward_on_each_architecture(name, model_type):
    method = METHODS[name]
    wrapped = method.wrap(tiny_model(model_type, num_labels=3), method.config_cls())
    logits = wrapped(**tiny_inputs()).logits
    assert logits.shape == (2, 3)
    logits.sum().backward()
    trainable, total = count_parameters(wrapped)
    assert 0 < trainable <= total
    if name != "full":
        assert trainable < total / 2


@pytest.mark.parametrize("name", [n for n in METHODS if n != "full"])
def test_parameter_efficient_methods_leave_the_encoder_frozen(name):
    model = tiny_model()
    method = METHODS[name]
    wrapped = method.wrap(model, method.config_cls())
    trainable_names = [n for n, p in wrapped.named_parameters() if p.requires_grad]
    encoder_weights = [n for n in trainable_names if "attention.self" in n and "lora" not in n]
    assert encoder_weights == []
    assert any("classifier" in n for n in trainable_names)


def test_prompt_methods_reserve_positions_for_virtual_tokens():
    assert (
        METHODS["prompt_tuning"].reserved_positions(
            METHODS["prompt_tuning"].config_cls(num_virtual_tokens=12)
        )
        == 12
    )
    assert METHODS["ptuning_v1"].reserved_positions(METHODS["ptuning_v1"].config_cls()) == 20
    assert METHODS["ptuning_v2"].reserved_positions(METHODS["ptuning_v2"].config_cls()) == 0


def test_unknown_method_names_the_choices():
    with pytest.raises(ConfigError, match="unknown method 'prefix'.*ptuning_v2"):
        get_method("prefix")


@pytest.mark.parametrize("name", list(METHODS))
def test_every_config_field_has_help_and_a_range_or_choices(name):
    for row in METHODS[name].config_cls.describe():
        assert row["help"], f"{name}.{row['name']} has no help text"
        if row["type"] in ("int", "float"):
            assert row["min"] is not None and row["max"] is not None, row["name"]


def test_train_config_fields_all_have_help():
    for row in TrainConfig.describe():
        assert row["help"], row["name"]


def test_out_of_range_method_setting_names_field_and_range():
    with pytest.raises(
        ConfigError, match=r"num_virtual_tokens=0 is out of range; use a value from 1"
    ):
        METHODS["ptuning_v2"].config_cls(num_virtual_tokens=0)
    with pytest.raises(ConfigError, match="encoder='gru' is not one of 'mlp', 'lstm'"):
        METHODS["ptuning_v1"].config_cls(encoder="gru")


@pytest.mark.parametrize("name", list(METHODS))
def test_saved_adapter_reloads_with_identical_predictions(name, tiny_model_dir, tmp_path):
    method = METHODS[name]
    options = {"encoder": "lstm"} if name == "ptuning_v1" else {}
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
    wrapped = method.wrap(model, method.config_cls(**options))
    # Move every trainable tensor away from its start (gently: the CPU LSTM kernels used with and
    # without autograd differ numerically once a saturated LSTM amplifies rounding).
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.05)
    wrapped.eval()
    with torch.no_grad():
        expected = wrapped(**tiny_inputs()).logits
    config = TrainConfig(
        data="x.csv", method=name, model=str(tiny_model_dir), method_options=options
    )
    folder = tmp_path / "adapter"
    size = save_adapter(folder, wrapped, config, ["neg", "pos"], max_length=48)
    assert size > 0
    meta = json.loads((folder / "ptune_adapter.json").read_text())
    assert meta["label_names"] == ["neg", "pos"] and meta["method"] == name
    if method.peft_format:
        assert (folder / "adapter_config.json").is_file()
        assert (folder / "adapter_model.safetensors").is_file()
    loaded = load_adapter(folder)
    assert not loaded.model.training
    assert not any(p.requires_grad for p in loaded.model.parameters())
    with torch.no_grad():
        actual = loaded.model(**tiny_inputs()).logits
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-4)


def test_peft_adapter_loads_with_plain_peft(tiny_model_dir, tmp_path):
    from peft import PeftModel

    method = METHODS["lora"]
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
    wrapped = method.wrap(model, method.config_cls())
    save_adapter(
        tmp_path / "a",
        wrapped,
        TrainConfig(data="x", method="lora", model=str(tiny_model_dir)),
        ["0", "1"],
        48,
    )
    base = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
    plain = PeftModel.from_pretrained(base, tmp_path / "a")
    assert plain(**tiny_inputs()).logits.shape == (2, 2)


def test_checkpoint_swap_survives_a_kill_between_renames(tmp_path):
    from core.training.artifacts import load_checkpoint, save_checkpoint

    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([param])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    folder = tmp_path / "checkpoint"
    save_checkpoint(folder, {"w": param.detach()}, optimizer, scheduler, {"loop": {"step": 1}})
    save_checkpoint(folder, {"w": param.detach() * 2}, optimizer, scheduler, {"loop": {"step": 2}})
    assert load_checkpoint(folder)[2]["loop"]["step"] == 2
    assert not folder.with_name("checkpoint.old").exists()
    folder.rename(folder.with_name("checkpoint.old"))  # as if killed right after this rename
    assert load_checkpoint(folder)[2]["loop"]["step"] == 2


def test_a_checkpoint_written_on_a_gpu_resumes_on_a_machine_without_one(tmp_path, monkeypatch):
    from torch import serialization

    from core.training.artifacts import load_checkpoint, save_checkpoint

    param = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.AdamW([param])
    param.grad = torch.ones(2)
    optimizer.step()  # the optimizer holds moment tensors
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: 1.0)
    folder = tmp_path / "checkpoint"
    with monkeypatch.context() as gpu:  # the tensors are saved as a GPU's
        gpu.setattr(serialization, "location_tag", lambda storage: "cuda:0")
        save_checkpoint(folder, {"w": param.detach()}, optimizer, scheduler, {"loop": {}})
    _, states, _ = load_checkpoint(folder)
    moments = states["optimizer"]["state"][0]
    assert moments["exp_avg"].device.type == "cpu"
    resumed = torch.optim.AdamW([torch.nn.Parameter(torch.ones(2))])
    resumed.load_state_dict(states["optimizer"])
    assert torch.equal(resumed.state_dict()["state"][0]["exp_avg"], moments["exp_avg"])


@pytest.mark.parametrize("name", list(METHODS))
def test_loaded_weights_stay_on_the_device_and_in_the_dtype_of_each_parameter(name):
    """Saved weights load on the CPU; a model on its device already (a GPU; here the meta
    device) keeps every tensor there and in its dtype when they go in, as on resume and when
    the best weights return at the end of a run (each still a fresh tensor)."""
    method = METHODS[name]
    wrapped = method.wrap(tiny_model(), method.config_cls())
    saved = method.trainable_state(wrapped)
    assert {t.device.type for t in saved.values()} == {"cpu"}
    wrapped.to(device="meta", dtype=torch.float16)
    before = dict([*wrapped.named_parameters(), *wrapped.named_buffers()])
    method.load_trainable_state(wrapped, saved)
    after = dict([*wrapped.named_parameters(), *wrapped.named_buffers()])
    assert after.keys() == before.keys()
    for key, tensor in after.items():
        assert (key, tensor.device.type, tensor.dtype) == (key, "meta", before[key].dtype)


def test_adapters_sharing_one_base_do_not_disturb_each_other(tiny_model_dir, tmp_path):
    from core.analysis.predict import Predictor

    folders = []
    for seed, name in enumerate(["adapter", "adapter", "ptuning_v2"]):
        method = METHODS[name]
        model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=2)
        wrapped = method.wrap(model, method.config_cls())
        torch.manual_seed(seed)
        with torch.no_grad():
            for p in wrapped.parameters():
                if p.requires_grad:
                    p.add_(torch.randn_like(p) * 0.3)
        folder = tmp_path / f"{name}-{seed}"
        config = TrainConfig(data="x", method=name, model=str(tiny_model_dir))
        save_adapter(folder, wrapped, config, ["neg", "pos"], max_length=48)
        folders.append(folder)
    texts = ["a fine film", "dull and slow"]
    alone = {f: Predictor(precision="fp32").predict(texts, [f])[str(f)] for f in folders}
    shared = Predictor(precision="fp32").predict(texts, folders)
    for folder in folders:
        for got, want in zip(shared[str(folder)], alone[folder], strict=True):
            assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-5)


@pytest.mark.parametrize("name", [n for n in METHODS if METHODS[n].has_prompt])
def test_prompt_token_ids_move_to_the_models_device_once(name):
    """peft keeps the virtual tokens' ids on the CPU and copies them in every forward pass;
    placed with the model they are on its device (a GPU; here the meta device), also after the
    prompt is resized."""
    method = METHODS[name]
    wrapped = method.wrap(tiny_model(), method.config_cls())
    wrapped.to("meta")
    method.place(wrapped, torch.device("meta"))
    kept = getattr(wrapped, "prompt_tokens", None)
    if kept is None:  # a prompt of its own (P-Tuning v2): its tensors are parameters
        assert {p.device.type for p in wrapped.parameters()} == {"meta"}
        return
    assert {t.device.type for t in kept.values()} == {"meta"}
    method.resize_prompt(wrapped, method.prompt_length(wrapped) + 2, method.config_cls())
    assert {t.device.type for t in wrapped.prompt_tokens.values()} == {"meta"}


@pytest.mark.parametrize("name", list(METHODS))
def test_frozen_weights_compute_in_the_runs_precision_and_trainable_ones_stay_fp32(name):
    """Under bf16 autocast a frozen fp32 weight is cast at every use: cast once instead. The
    trainable tensors (and the optimizer's state) stay fp32, and the outputs stay close."""
    from core.training.precision import MixedPrecision, frozen_in_compute_precision

    method = METHODS[name]
    torch.manual_seed(0)
    wrapped = method.wrap(tiny_model(), method.config_cls())
    wrapped.eval()
    mixed = MixedPrecision("bf16", "cpu")
    with torch.no_grad(), mixed.autocast():
        before = wrapped(**tiny_inputs()).logits.float()
    saved = frozen_in_compute_precision(wrapped, mixed.dtype)
    frozen = [p for p in wrapped.parameters() if not p.requires_grad]
    trainable = [p for p in wrapped.parameters() if p.requires_grad]
    assert {p.dtype for p in trainable} == {torch.float32}
    assert {p.dtype for p in frozen} <= {torch.bfloat16}
    assert saved == sum(p.numel() * 2 for p in frozen)  # 4 bytes down to 2 each
    with torch.no_grad(), mixed.autocast():
        after = wrapped(**tiny_inputs()).logits.float()
    torch.testing.assert_close(after, before, atol=0.05, rtol=0.05)  # bf16's 8-bit mantissa
    with mixed.autocast():
        wrapped(**tiny_inputs()).logits.float().sum().backward()
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in trainable)


def test_fp32_on_a_gpu_multiplies_in_tf32_and_nowhere_else():
    from core.hardware import fast_fp32_matmuls

    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("highest")
        for device, precision in (("cpu", "no"), ("cuda", "bf16"), ("cuda", "fp16")):
            fast_fp32_matmuls(torch.device(device), precision)
            assert torch.get_float32_matmul_precision() == "highest"
        fast_fp32_matmuls(torch.device("cuda"), "no")
        assert torch.get_float32_matmul_precision() == "high"  # TF32 in cuBLAS
    finally:
        torch.set_float32_matmul_precision(before)


def test_a_layer_that_trains_some_of_its_tensors_keeps_them_all_in_fp32():
    """A method that trains biases (BitFit) leaves their weights frozen: one operation takes
    both, so that layer stays fp32 while wholly frozen layers go to bf16."""
    from core.training.precision import frozen_in_compute_precision

    model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 2))
    model.requires_grad_(False)
    model[1].bias.requires_grad_(True)
    frozen_in_compute_precision(model, torch.bfloat16)
    assert (model[0].weight.dtype, model[2].bias.dtype) == (torch.bfloat16, torch.bfloat16)
    assert (model[1].weight.dtype, model[1].bias.dtype) == (torch.float32, torch.float32)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        model(torch.ones(2, 4)).float().sum().backward()
    assert model[1].bias.grad is not None
