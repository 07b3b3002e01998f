"""Decoder-only backbones: loading through the hub-loading code, last-token read-out that does
not depend on padding, and every method (but P-Tuning v2, on its own branch) trained, saved,
reloaded, predicted and, where it applies, merged, per family (tiny random configs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest import DECODER_FAMILIES, make_tiny_model_dir, train_config, write_reviews
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from core.analysis.predict import Predictor
from core.checks import checked, model_support
from core.errors import ConfigProblems, ModelLoadError
from core.export import export_merged, merge_obstacle
from core.methods import METHODS
from core.modeling import is_decoder, load_base, load_tokenizer, with_pad_token
from core.pooling import apply_pooling, resolve_pooling
from core.runs import train_unrecorded
from core.training import trainer as trainer_module
from core.training.artifacts import load_adapter, read_meta

TEXTS = ["a good film", "terrible", "the plot was awful and the acting was poor " * 3, "great"]
LONG = "the story was slow and the music was loud but the actors were fine " * 3
VARIANTS = {
    "prompt_tuning": ("prompt_tuning", {"num_virtual_tokens": 4, "init": "random"}),
    "ptuning_v1_lstm": ("ptuning_v1", {"num_virtual_tokens": 4, "encoder": "lstm"}),
    "ptuning_v1_mlp": ("ptuning_v1", {"num_virtual_tokens": 4, "encoder": "mlp"}),
    "ptuning_v2": ("ptuning_v2", {"num_virtual_tokens": 4}),
    "lora": ("lora", {}),
    "adapter": ("adapter", {}),
    "head_only": ("head_only", {}),
    "full": ("full", {}),
}
"""Every method on a decoder, P-Tuning v1 with each prompt encoder."""

REPRESENTATIVE = {
    "llama": "prompt_tuning",
    "qwen2": "ptuning_v1_lstm",
    "qwen3": "adapter",
    "mistral": "ptuning_v1_mlp",
    "gemma2": "ptuning_v2",
    "gemma3_text": "full",
    "phi3": "lora",
    "gpt2": "lora",
    "gpt_neox": "lora",
}
"""The one method per family the default run trains (every method but head-only appears, LoRA
on each fused projection, P-Tuning v2 through Gemma 2's soft-capped sliding attention); the rest
of the matrix is marked slow."""

MATRIX = [
    pytest.param(
        family, variant, marks=() if REPRESENTATIVE[family] == variant else pytest.mark.slow
    )
    for family in DECODER_FAMILIES
    for variant in VARIANTS
]


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory):
    """One saved tiny decoder folder per family, made when first asked for."""
    root = tmp_path_factory.mktemp("decoders")
    made: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in made:
            made[family] = make_tiny_model_dir(root / family, family)
        return made[family]

    return get


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("reviews") / "reviews.csv", rows=32)


def _moved(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` with its trainable tensors moved off their start (a zero LoRA B, a zero
    adapter up-projection would hide what they read)."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


def _probabilities(model, tokenizer, texts: list[str], max_length: int = 512) -> torch.Tensor:
    batch = tokenizer(
        texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    assert tokenizer.padding_side == "right"
    with torch.no_grad():
        return model(**dict(batch)).logits.float().softmax(-1)


@pytest.mark.parametrize(
    "variant", ["none", "prompt_tuning", "ptuning_v1_lstm", "ptuning_v2", "lora"]
)
@pytest.mark.parametrize("family", DECODER_FAMILIES)
def test_a_text_predicts_the_same_alone_and_beside_a_much_longer_one(family, variant, model_dirs):
    base = load_base(str(model_dirs(family)), ["neg", "pos"])
    pooling = resolve_pooling("auto", base.source, base.model.config.model_type)
    assert pooling == "last"
    model = apply_pooling(base.model, pooling)
    if variant != "none":
        name, options = VARIANTS[variant]
        model = METHODS[name].wrap(model, METHODS[name].config_cls(**options))
    model = _moved(model)
    for text in ("a good film", "terrible"):
        alone = _probabilities(model, base.tokenizer, [text])
        batched = _probabilities(model, base.tokenizer, [LONG, text])
        assert batched.shape == (2, 2)
        torch.testing.assert_close(batched[1:], alone, atol=1e-5, rtol=1e-4)
    other = _probabilities(model, base.tokenizer, [LONG, "terrible", "a good film"])
    assert not torch.allclose(other[1], other[2], atol=1e-4), "the texts must read differently"


@pytest.mark.parametrize("family", DECODER_FAMILIES)
def test_a_decoder_loads_with_its_padding_id_and_reads_the_last_token(family, model_dirs):
    base = load_base(str(model_dirs(family)), ["a", "b", "c"])
    assert is_decoder(base.model.config.model_type)
    assert base.model.config.pad_token_id == base.tokenizer.pad_token_id is not None
    assert base.model.num_labels == 3
    support = model_support(str(model_dirs(family)))
    assert support.family == family and support.decoder_name
    assert "ptuning_v1" in support.usable and "lora" in support.usable


def test_a_tokenizer_without_padding_pads_on_the_right_with_its_end_of_text_token(tmp_path):
    tokenizer = load_tokenizer(None)
    tokenizer.padding_side = "left"
    tokenizer.pad_token = None
    tokenizer.eos_token = "[SEP]"
    assert tokenizer.pad_token_id is None
    padded = with_pad_token(tokenizer, "gpt2")
    assert padded.pad_token == "[SEP]" and padded.pad_token_id == padded.eos_token_id
    assert padded.padding_side == "right"
    ids = padded(["a", "a good film"], padding=True)["input_ids"]
    assert ids[0][-1] == padded.pad_token_id and ids[0][0] != padded.pad_token_id


def test_a_tokenizer_with_nothing_to_pad_with_is_refused():
    tokenizer = load_tokenizer(None)
    tokenizer.pad_token = None
    tokenizer.eos_token = None
    tokenizer.sep_token = None
    with pytest.raises(ModelLoadError, match="the tokenizer of 'somewhere' has neither a padding "
                       "token nor an end-of-text token to pad with"):  # fmt: skip
        with_pad_token(tokenizer, "somewhere")


def test_first_token_pooling_on_a_decoder_and_last_token_on_an_encoder_are_refused(
    model_dirs, data, tmp_path, tiny_model_dir
):
    decoder = train_config(tmp_path, data, model_dirs("qwen2"), pooling="cls")
    with pytest.raises(ConfigProblems, match="a Qwen2 model is a decoder: its first token sees "
                       "nothing of the text after it.*use pooling auto or last"):  # fmt: skip
        checked(decoder)
    encoder = train_config(tmp_path, data, tiny_model_dir, pooling="last")
    with pytest.raises(ConfigProblems, match="pooling last reads the last real token.*a 'bert' "
                       "model is an encoder: use pooling auto, cls or mean"):  # fmt: skip
        checked(encoder)


def _train(family, variant, model_dirs, data, tmp_path, monkeypatch) -> tuple[Path, torch.Tensor]:
    """A short run's adapter folder and its probabilities of :data:`TEXTS` as training ended."""
    at_end: dict[str, torch.Tensor] = {}
    save = trainer_module.artifacts.save_adapter

    def save_and_remember(folder, model, config, labels, max_length, *args, **kwargs):
        model.eval()
        at_end["probs"] = _probabilities(model, load_tokenizer(config.model), TEXTS, max_length)
        model.train()
        return save(folder, model, config, labels, max_length, *args, **kwargs)

    monkeypatch.setattr(trainer_module.artifacts, "save_adapter", save_and_remember)
    name, options = VARIANTS[variant]
    config = train_config(tmp_path, data, model_dirs(family), method=name, max_steps=2,
                          batch_size=8, method_options=options)  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    return Path(summary["adapter_path"]), at_end["probs"]


def plain_probabilities(folder: Path, texts: list[str]) -> torch.Tensor:
    """What a person with only transformers gets from a merged folder."""
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(texts, truncation=True, padding=True, return_tensors="pt")
    with torch.no_grad():
        return model(**batch).logits.softmax(-1)


@pytest.mark.train
@pytest.mark.parametrize(("family", "variant"), MATRIX)
def test_every_method_trains_reloads_predicts_and_exports_on_every_decoder(
    family, variant, model_dirs, data, tmp_path, monkeypatch
):
    adapter, at_end = _train(family, variant, model_dirs, data, tmp_path, monkeypatch)
    loaded = load_adapter(adapter)
    assert read_meta(adapter)["pooling"] == "last"
    torch.testing.assert_close(
        _probabilities(loaded.model, loaded.tokenizer, TEXTS, loaded.max_length),
        at_end,
        atol=1e-5,
        rtol=1e-4,
    )
    rows = Predictor(precision="fp32").predict(TEXTS, [adapter])[str(adapter)]
    labels = loaded.label_names
    predicted = torch.tensor([[row["probabilities"][label] for label in labels] for row in rows])
    torch.testing.assert_close(predicted, at_end, atol=1e-5, rtol=1e-4)
    if merge_obstacle(read_meta(adapter)) is None:
        merged = export_merged(adapter, tmp_path / "merged")
        torch.testing.assert_close(plain_probabilities(merged, TEXTS), at_end, atol=1e-4,
                                   rtol=1e-4)  # fmt: skip
    else:
        assert VARIANTS[variant][0] in ("prompt_tuning", "ptuning_v1", "ptuning_v2", "adapter")
