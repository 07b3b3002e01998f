"""Every method on every supported model family: trains, saves, reloads and predicts the same.

Tiny random models of each family (no download); a pair that cannot work is refused by the run
check before training, with the methods that do work named.
"""

from __future__ import annotations

import pytest
import torch
from conftest import (
    ENCODER_FAMILIES,
    FAMILIES,
    make_tiny_model_dir,
    tiny_config,
    tiny_model,
    train_config,
    write_reviews,
)

from core.checks import checked
from core.errors import AdapterLoadError, ConfigProblems, ModelLoadError
from core.methods import METHODS
from core.methods.base import HEAD_EXTRAS
from core.modeling import SUPPORTED_MODEL_TYPES, load_config, load_tokenizer
from core.runs import train_unrecorded
from core.training import trainer as trainer_module
from core.training.artifacts import load_adapter

pytestmark = pytest.mark.train

TEXTS = ["the film was a great story", "awful", "it was quite boring and really sad plot"]
PAIRS = [(family, name) for family in FAMILIES for name in METHODS]
TRAINED = [(family, name) for family in ENCODER_FAMILIES for name in METHODS]
"""The pairs trained here; the decoders' are in tests/test_decoders.py, with their prediction
and export."""


def _works(family: str, name: str) -> bool:
    families = METHODS[name].families
    return families is None or family in families


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    """One saved tiny model folder per family, made when first asked for."""
    root = tmp_path_factory.mktemp("families")
    made: dict[str, object] = {}

    def get(family: str):
        if family not in made:
            made[family] = make_tiny_model_dir(root / family, family)
        return made[family]

    return get


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_reviews(tmp_path_factory.mktemp("reviews") / "reviews.csv", rows=48)


def _probabilities(model, tokenizer, max_length: int) -> torch.Tensor:
    batch = tokenizer(
        TEXTS, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    model.eval()
    with torch.no_grad():
        return model(**dict(batch)).logits.float().softmax(-1)


def test_every_family_is_supported_and_covered():
    assert set(FAMILIES) == set(SUPPORTED_MODEL_TYPES)


def test_every_method_supports_every_family():
    assert all(_works(family, name) for family, name in PAIRS)


def _train_and_reload(model_dir, name, data, tmp_path, monkeypatch) -> None:
    """Probabilities after reloading the saved adapter match those at the end of training."""
    at_end: dict[str, torch.Tensor] = {}
    save = trainer_module.artifacts.save_adapter

    def save_and_remember(folder, model, config, labels, max_length, *args, **kwargs):
        at_end["probs"] = _probabilities(model, load_tokenizer(config.model), max_length)
        model.train()
        return save(folder, model, config, labels, max_length, *args, **kwargs)

    monkeypatch.setattr(trainer_module.artifacts, "save_adapter", save_and_remember)
    options = {"num_virtual_tokens": 4} if METHODS[name].has_prompt else {}
    config = train_config(
        tmp_path, data, model_dir, method=name, max_steps=3, batch_size=8, method_options=options
    )
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    loaded = load_adapter(summary["adapter_path"])
    reloaded = _probabilities(loaded.model, loaded.tokenizer, loaded.max_length)
    assert reloaded.shape == (len(TEXTS), 2)
    torch.testing.assert_close(reloaded, at_end["probs"], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(("family", "name"), TRAINED)
def test_method_trains_saves_and_reloads_on_family(
    family, name, model_dirs, data, tmp_path, monkeypatch
):
    _train_and_reload(model_dirs(family), name, data, tmp_path, monkeypatch)


@pytest.mark.parametrize("name", list(METHODS))
@pytest.mark.parametrize("family", list(HEAD_EXTRAS))
def test_head_modules_missing_from_the_base_are_saved_with_the_adapter(
    family, name, data, tmp_path, monkeypatch
):
    """A base folder holding only the encoder (as released DeBERTa-v3 and sentence-embedding
    ModernBERT folders do) leaves part of the head random at every load; it must be saved."""
    from transformers import AutoModel

    folder = tmp_path / "encoder-only"
    torch.manual_seed(0)
    AutoModel.from_config(tiny_config(family)).save_pretrained(folder)
    load_tokenizer(None).save_pretrained(folder)
    _train_and_reload(folder, name, data, tmp_path, monkeypatch)


def test_unsupported_model_type_names_the_supported_ones(tmp_path):
    from transformers import FunnelConfig

    FunnelConfig(vocab_size=100).save_pretrained(tmp_path)
    with pytest.raises(ModelLoadError, match="model type 'funnel' is not supported; use an "
                       "encoder of type bert, roberta, .*, modernbert, mpnet"):  # fmt: skip
        load_config(str(tmp_path))


def test_a_family_a_method_does_not_support_is_refused_before_training(
    model_dirs, data, tmp_path, monkeypatch
):
    """The run check names the families that work (none is refused today, so restrict one)."""
    monkeypatch.setattr(METHODS["ptuning_v2"], "families", ("bert", "roberta"))
    config = train_config(tmp_path, data, model_dirs("mpnet"), method="ptuning_v2")
    message = "P-Tuning v2 does not support 'mpnet' models; it supports bert, roberta"
    with pytest.raises(ConfigProblems, match=message):
        checked(config)
    summary = train_unrecorded(
        config
    )  # a run never raises: it fails with the reason, before any step
    assert summary["status"] == "failed" and message in summary["error"]
    assert not (tmp_path / "run" / "adapter").exists()


@pytest.mark.parametrize("family", FAMILIES)
def test_mean_pooling_reads_the_real_tokens_on_every_family(family):
    from conftest import tiny_inputs, tiny_model

    from core.pooling import apply_pooling

    model = tiny_model(family).eval()
    inputs = tiny_inputs()
    with torch.no_grad():
        for p in model.parameters():  # a head that shows small differences in what it reads
            p.add_(torch.randn_like(p) * 0.05)
        first = model(**inputs).logits
        apply_pooling(model, "mean")
        mean = model(**inputs).logits
        alone = model(input_ids=inputs["input_ids"][1:, :3]).logits
    assert not torch.allclose(first, mean, atol=1e-4), "mean pooling must change what is read"
    torch.testing.assert_close(mean[1:], alone, atol=1e-5, rtol=1e-4)


def test_an_adapter_saved_without_the_familys_head_extras_still_loads():
    """DistilBERT adapters saved before pre_classifier was trained keep the base's values."""
    method = METHODS["head_only"]
    state = method.trainable_state(method.wrap(tiny_model("distilbert"), method.config_cls()))
    assert any(name.startswith("pre_classifier.") for name in state)
    older = {k: v for k, v in state.items() if not k.startswith("pre_classifier.")}
    method.load_trainable_state(method.wrap(tiny_model("distilbert"), method.config_cls()), older)
    without_head = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    with pytest.raises(AdapterLoadError, match="saved weights lack 2 tensors"):
        method.load_trainable_state(
            method.wrap(tiny_model("distilbert"), method.config_cls()), without_head
        )
