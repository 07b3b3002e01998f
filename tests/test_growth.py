"""Progressive prompt growth and the shared P-Tuning v2 prompt encoder, on tiny models."""

from __future__ import annotations

import threading

import pytest
import torch
from conftest import tiny_inputs, tiny_model, train_config, write_reviews

from core.cli import build_parser, config_from_args
from core.errors import AdapterLoadError, ConfigError
from core.methods import METHODS
from core.methods.base import count_parameters
from core.runs import train_unrecorded
from core.training.artifacts import load_adapter, read_meta
from core.training.growth import Schedule, schedule_of

PROMPT_METHODS = ["prompt_tuning", "ptuning_v1", "ptuning_v2"]


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    return write_reviews(tmp_path_factory.mktemp("data") / "reviews.csv", rows=120)


def _model(**sizes):
    return tiny_model(**sizes).eval()


def _logits(model):
    with torch.no_grad():
        return model(**tiny_inputs()).logits


# ------------------------------------------------------------------------------ settings
@pytest.mark.parametrize("name", PROMPT_METHODS)
def test_growth_stages_set_the_final_prompt_length(name):
    settings = METHODS[name].config_cls(grow="5, 10,20")
    assert settings.grow == "5,10,20"
    assert settings.num_virtual_tokens == 20
    assert schedule_of(settings) == Schedule((5, 10, 20), (1 / 3, 2 / 3))
    from_yaml = METHODS[name].config_cls(grow=[4, 8], grow_at=[0.5])
    assert (from_yaml.grow, from_yaml.grow_at, from_yaml.num_virtual_tokens) == ("4,8", "0.5", 8)
    assert schedule_of(METHODS[name].config_cls()) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"grow": "10,5"}, "must increase"),
        ({"grow": "8"}, "at least two lengths"),
        ({"grow": "five,ten"}, "whole numbers"),
        ({"grow": "5,10,999"}, "from 1 to"),
        ({"grow": "5,10,20", "grow_at": "0.5"}, "give 2 fractions"),
        ({"grow": "5,10,20", "grow_at": "0.6,0.3"}, "increasing fractions"),
        ({"grow": "5,10", "grow_at": "1.5"}, "between 0 and 1"),
        ({"grow_at": "0.5"}, "grow is empty"),
    ],
)
def test_bad_growth_settings_say_what_to_fix(values, message):
    with pytest.raises(ConfigError, match=message):
        METHODS["ptuning_v2"].config_cls(**values)


def test_growth_is_only_offered_by_prompt_methods():
    for name, method in METHODS.items():
        fields = {f["name"] for f in method.config_cls.describe()}
        assert ("grow" in fields) == (name in PROMPT_METHODS), name
    with pytest.raises(ConfigError, match="no prompt to resize"):
        METHODS["lora"].resize_prompt(torch.nn.Linear(2, 2), 4, None)


def test_schedule_moves_through_the_stages_at_its_points():
    schedule = Schedule((5, 10, 20), (0.25, 0.5))
    lengths = [schedule.length_at(step, 100) for step in (0, 24, 25, 49, 50, 99)]
    assert lengths == [5, 5, 10, 10, 20, 20]


# ------------------------------------------------------------------------------ resizing
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"prefix_projection": True, "projection_hidden_size": 16},
        {"share_encoder": True, "shared_hidden_size": 8},
    ],
    ids=["direct", "projection", "shared"],
)
def test_v2_prompt_grows_keeping_trained_rows_and_shrinks_back_exactly(options):
    method = METHODS["ptuning_v2"]
    cfg = method.config_cls(num_virtual_tokens=3, prefix_dropout=0.0, **options)
    wrapped = method.wrap(_model(), cfg).eval()
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad and p.ndim > 1:
                p.add_(0.05 * torch.randn_like(p))  # stand-in for trained weights
    before = _logits(wrapped)
    first = [k.clone() for k, _ in wrapped.prefix_kv()]
    method.resize_prompt(wrapped, 7, cfg)
    assert method.prompt_length(wrapped) == 7
    grown = wrapped.prefix_kv()
    assert all(k.shape[-2] == 7 for k, _ in grown)
    for old, (new, _) in zip(first, grown, strict=True):
        if cfg.share_encoder:  # shared rows are produced jointly; their inputs are kept
            continue
        if cfg.prefix_projection:
            # The rows are recomputed through the projection MLP for 7 tokens instead of 3: a
            # matmul of another shape may take another kernel path (AVX-512, AMX, bf16-capable
            # or not), so the same maths can differ in the last float32 bits.
            torch.testing.assert_close(new[..., :3, :], old, rtol=1e-5, atol=1e-6)
        else:  # the kept rows are copied tensors: exactly equal
            assert torch.equal(old, new[..., :3, :])
    assert not torch.allclose(_logits(wrapped), before)
    method.resize_prompt(wrapped, 3, cfg)
    assert torch.allclose(_logits(wrapped), before, atol=1e-6)


@pytest.mark.parametrize("name", ["prompt_tuning", "ptuning_v1"])
def test_peft_prompt_grows_and_saves_at_its_new_length(name, tmp_path):
    method = METHODS[name]
    cfg = method.config_cls(num_virtual_tokens=3)
    wrapped = method.wrap(_model(), cfg)
    encoder = wrapped.prompt_encoder[wrapped.active_adapter]
    old = encoder.embedding.weight.detach().clone()
    method.resize_prompt(wrapped, 6, cfg)
    assert method.prompt_length(wrapped) == 6
    assert encoder.embedding.weight.requires_grad
    assert torch.equal(encoder.embedding.weight[:3].detach(), old)
    wrapped.eval()
    logits = _logits(wrapped)
    assert logits.shape == (2, 2)
    wrapped.save_pretrained(tmp_path, safe_serialization=True)
    reloaded = method.load(_model(), tmp_path, method.config_cls(num_virtual_tokens=6))
    assert torch.allclose(_logits(reloaded), logits, atol=1e-5)


# ----------------------------------------------------------------------- shared encoder
DEEP = {"hidden_size": 64, "num_hidden_layers": 6}
"""A wider, six-layer encoder, where per-layer prefixes cost many parameters."""


def test_shared_encoder_has_fewer_parameters_and_starts_at_the_same_prefix():
    method = METHODS["ptuning_v2"]
    plain = method.wrap(_model(**DEEP), method.config_cls(num_virtual_tokens=16))
    shared = method.wrap(
        _model(**DEEP),
        method.config_cls(num_virtual_tokens=16, share_encoder=True, shared_hidden_size=8),
    )
    assert count_parameters(shared)[0] < count_parameters(plain)[0] / 4
    plain.eval(), shared.eval()
    for (k1, v1), (k2, v2) in zip(plain.prefix_kv(), shared.prefix_kv(), strict=True):
        assert torch.equal(k1, k2) and torch.equal(v1, v2)


def test_shared_encoder_trains_every_layer_and_round_trips(tmp_path):
    method = METHODS["ptuning_v2"]
    cfg = method.config_cls(num_virtual_tokens=4, share_encoder=True, shared_hidden_size=8)
    wrapped = method.wrap(_model(), cfg)
    optimizer = torch.optim.AdamW([p for p in wrapped.parameters() if p.requires_grad], lr=0.05)
    start = [k.detach().clone() for k, _ in wrapped.eval().prefix_kv()]
    for _ in range(3):
        wrapped(**tiny_inputs()).logits[:, 0].sum().backward()
        optimizer.step()
        optimizer.zero_grad()
    moved = [not torch.equal(a, k) for a, (k, _) in zip(start, wrapped.prefix_kv(), strict=True)]
    assert all(moved)  # one network moved every layer's prefix
    assert not wrapped.prefix_init.requires_grad
    method.save(wrapped, tmp_path)
    reloaded = method.load(_model(), tmp_path, cfg)
    assert torch.allclose(_logits(reloaded), _logits(wrapped.eval()), atol=1e-6)
    state = method.trainable_state(wrapped)
    del state["prefix_init"]
    with pytest.raises(AdapterLoadError, match="prefix_init"):
        method.load_trainable_state(method.wrap(_model(), cfg), state)


def test_shared_encoder_and_projection_exclude_each_other():
    with pytest.raises(ConfigError, match="turn one of them off"):
        METHODS["ptuning_v2"].config_cls(share_encoder=True, prefix_projection=True)


# ------------------------------------------------------------------------ training loop
@pytest.mark.train
def test_training_grows_the_prompt_at_its_points_and_saves_the_final_size(
    tmp_path, reviews, tiny_model_dir
):
    events: list[dict] = []
    run = train_config(
        tmp_path, reviews, tiny_model_dir, method="ptuning_v2", max_steps=9, eval_every=3,
        keep_best=False,
        method_options={"grow": "2,4,6"},
    )  # fmt: skip
    summary = train_unrecorded(run, events.append)
    assert summary["status"] == "succeeded", summary.get("error")
    grows = [(e.step, e.prompt_length) for e in events if e.type == "grow"]
    assert grows == [(3, 4), (6, 6)]
    assert summary["prompt_length"] == 6
    meta = read_meta(tmp_path / "run" / "adapter")
    assert meta["method_options"]["num_virtual_tokens"] == 6
    assert "grow" not in meta["method_options"]
    adapter = load_adapter(tmp_path / "run" / "adapter")
    assert adapter.model.length == 6
    prefix, head = 2 * 2 * 6 * 32, 32 * 2 + 2  # layers x key/value x tokens x hidden; classifier
    assert summary["trainable_params"] == prefix + head


@pytest.mark.train
def test_best_weights_from_an_earlier_stage_are_saved_at_that_stage_size(
    tmp_path, reviews, tiny_model_dir, monkeypatch
):
    scores = iter([0.9, 0.5, 0.4, 0.3, 0.2])
    real = __import__("core.training.trainer", fromlist=["Trainer"]).Trainer._evaluate

    def declining(self, features, labels, prefix):
        metrics = real(self, features, labels, prefix)
        if prefix == "eval" and len(features) <= self.config.max_eval_rows:
            metrics["eval_accuracy"] = next(scores, 0.1)
        return metrics

    monkeypatch.setattr("core.training.trainer.Trainer._evaluate", declining)
    run = train_config(
        tmp_path, reviews, tiny_model_dir, method="prompt_tuning", max_steps=6, eval_every=2,
        method_options={"grow": "2,5"},
    )  # fmt: skip
    summary = train_unrecorded(run)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["best_step"] == 2 and summary["prompt_length"] == 2
    adapter = load_adapter(tmp_path / "run" / "adapter")
    assert adapter.meta["method_options"]["num_virtual_tokens"] == 2
    assert _logits(adapter.model).shape == (2, 2)


@pytest.mark.train
@pytest.mark.parametrize("name", PROMPT_METHODS)
def test_a_prompt_grows_and_returns_to_its_best_size_in_bf16(
    name, tmp_path, reviews, tiny_model_dir, monkeypatch
):
    # In bf16 the frozen weights are bf16 while the head trains in fp32: the growth of a
    # P-Tuning v2 prefix, which runs the model to start its new rows, must run it under the
    # run's autocast, both when the prompt grows and when the best weights bring it back.
    scores = iter([0.9, 0.5, 0.4])
    real = __import__("core.training.trainer", fromlist=["Trainer"]).Trainer._evaluate

    def declining(self, features, labels, prefix):
        metrics = real(self, features, labels, prefix)
        if prefix == "eval" and len(features) <= self.config.max_eval_rows:
            metrics["eval_accuracy"] = next(scores, 0.1)
        return metrics

    monkeypatch.setattr("core.training.trainer.Trainer._evaluate", declining)
    run = train_config(
        tmp_path, reviews, tiny_model_dir, method=name, precision="bf16", max_steps=6,
        eval_every=2, method_options={"grow": "2,4"},
    )  # fmt: skip
    summary = train_unrecorded(run)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["precision"] == "bf16"
    assert summary["best_step"] == 2 and summary["prompt_length"] == 2


@pytest.mark.train
def test_a_grown_run_resumes_at_its_grown_size(tmp_path, reviews, tiny_model_dir):
    stop = threading.Event()

    def stop_after_growth(event):
        if event.type == "checkpoint" and event.step >= 4:
            stop.set()

    run = train_config(
        tmp_path, reviews, tiny_model_dir, method="ptuning_v2", max_steps=8, eval_every=2,
        keep_best=False, method_options={"grow": "2,4"},
    )  # fmt: skip
    first = train_unrecorded(run, stop_after_growth, stop)
    assert first["status"] == "stopped" and first["prompt_length"] == 4
    resumed = train_unrecorded(run, resume_from=tmp_path / "run" / "checkpoint")
    assert resumed["status"] == "succeeded", resumed.get("error")
    assert resumed["steps"] == 8 and resumed["prompt_length"] == 4


# ---------------------------------------------------------------------------- command line
def test_command_line_takes_grow_and_share_encoder():
    args = build_parser().parse_args(
        ["--data", "x.csv", "--method", "ptuning_v2", "--grow", "5,10,20", "--share-encoder"]
    )
    cfg = config_from_args(args)
    assert cfg.method_options == {"grow": "5,10,20", "share_encoder": True}
    args = build_parser().parse_args(["--data", "x.csv", "--method", "lora", "--grow", "5,10"])
    with pytest.raises(ConfigError, match="--grow does not apply to method lora"):
        config_from_args(args)
