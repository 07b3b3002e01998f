"""P-Tuning v2 deep prompts on decoder language models, per family.

Each family is checked against the hand-written forward pass of :mod:`decoder_reference`, and a
text gives the same probabilities alone and in a right-padded batch. The classifier's read-out
is taken here from the per-token logits of its score head at the last real token, so these
tests do not depend on how a decoder classifier picks that token.
"""

from __future__ import annotations

import pytest
import torch
from conftest import save_test_adapter
from decoder_reference import (
    DECODERS,
    reference_hidden,
    sliding_layers,
    tiny_decoder,
    tiny_decoder_config,
)

from core.analysis.inspect_prompt import nearest_words, vocabulary_keys
from core.errors import UnsupportedModelError
from core.methods import METHODS
from core.methods.base import classifier_head
from core.methods.ptuning_v2 import PTuningV2, PTuningV2Settings
from core.modeling import load_tokenizer
from core.training.artifacts import LoadedAdapter

FAMILIES = list(DECODERS)
IDS = torch.tensor([[5, 9, 17, 33, 65, 70, 71, 90], [13, 14, 15, 16, 0, 0, 0, 0]])
"""Two texts, the second right-padded; both longer than the 3-token window."""


def _mask(ids: torch.Tensor) -> torch.Tensor:
    return (ids != 0).long()


def _wrapped(kind: str, length: int = 4, **options):
    model = tiny_decoder(kind)
    settings = PTuningV2Settings(num_virtual_tokens=length, prefix_dropout=0.0, **options)
    return model, PTuningV2().wrap(model, settings).eval()


def _sharp(model) -> None:
    """Logits of order 1, so that differences in the layers below show."""
    with torch.no_grad():
        for p in classifier_head(model).parameters():
            p.normal_()


def token_logits(call, model, ids: torch.Tensor) -> torch.Tensor:
    """The score head's logits at every token (batch, n, labels) when ``call`` runs ``ids``."""
    seen: list[torch.Tensor] = []
    hook = classifier_head(model).register_forward_hook(lambda m, i, out: seen.append(out))
    try:
        call(input_ids=ids, attention_mask=_mask(ids))
    finally:
        hook.remove()
    return seen[-1]


def last_real(values: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Each text's row at its last real (non-padding) token."""
    return values[torch.arange(ids.shape[0]), _mask(ids).sum(1) - 1]


def _expected(model, prefix, ids, **variant) -> torch.Tensor:
    return classifier_head(model)(reference_hidden(model, prefix, ids, _mask(ids), **variant))


@pytest.mark.parametrize("kind", FAMILIES)
def test_prefix_matches_the_hand_written_decoder_at_every_real_token(kind):
    """A padded batch, and one text with no padding (where transformers would leave the causal
    mask to SDPA's is_causal, which a prefix breaks)."""
    model, wrapped = _wrapped(kind)
    _sharp(model)
    with torch.no_grad():
        wrapped.prefix.normal_()  # far from the initial prefix, so the test is sharp
        prefix = wrapped.prefix_kv()
        for ids in (IDS, IDS[:1]):
            real = _mask(ids).bool()
            actual = token_logits(wrapped, model, ids)
            expected = _expected(model, prefix, ids)
            torch.testing.assert_close(actual[real], expected[real], atol=1e-5, rtol=1e-4)
        without = token_logits(model, model, ids)
    assert not torch.allclose(actual[real], without[real], atol=1e-2), "the prefix must matter"


@pytest.mark.parametrize(
    ("kind", "left_out"),
    [("gemma2", {"softcap": False})]
    + [(k, {"windows": False}) for k in FAMILIES if any(sliding_layers(tiny_decoder_config(k)))]
    + [(k, {"first": 4}) for k in FAMILIES],
)
def test_soft_cap_windows_and_positions_change_the_reference_on_these_inputs(kind, left_out):
    """The reference without the soft cap, without the windows, or with the real tokens
    numbered from P (after the prefix) differs: the inputs above do exercise each of them."""
    model, wrapped = _wrapped(kind)
    _sharp(model)
    with torch.no_grad():
        wrapped.prefix.normal_()
        prefix, real = wrapped.prefix_kv(), _mask(IDS).bool()
        actual = token_logits(wrapped, model, IDS)[real]
        assert not torch.allclose(
            actual, _expected(model, prefix, IDS, **left_out)[real], atol=1e-3
        )


@pytest.mark.parametrize("kind", FAMILIES)
def test_same_text_alone_and_in_a_right_padded_batch_gives_the_same_probabilities(kind):
    model, wrapped = _wrapped(kind)
    _sharp(model)
    more_padding = torch.nn.functional.pad(IDS, (0, 5))
    with torch.no_grad():
        wrapped.prefix.normal_()

        def probabilities(ids):
            return last_real(token_logits(wrapped, model, ids), ids).softmax(-1)

        batched = probabilities(IDS)
        alone = probabilities(IDS[1:, :4])
        padded_more = probabilities(more_padding)
    torch.testing.assert_close(batched[1:], alone, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(batched, padded_more, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", FAMILIES)
def test_the_classifiers_own_read_out_does_not_depend_on_right_padding(kind):
    """The same through the model's own logits (its last-real-token read-out)."""
    model, wrapped = _wrapped(kind)
    _sharp(model)
    with torch.no_grad():
        wrapped.prefix.normal_()

        def logits(ids):
            return wrapped(input_ids=ids, attention_mask=_mask(ids)).logits

        batched = logits(torch.nn.functional.pad(IDS, (0, 3)))
        alone = torch.cat([logits(IDS[:1]), logits(IDS[1:, :4])])
    torch.testing.assert_close(batched.softmax(-1), alone.softmax(-1), atol=1e-6, rtol=1e-5)
    assert not torch.allclose(batched[0], batched[1], atol=1e-2), "two texts, two answers"


@pytest.mark.parametrize("kind", FAMILIES)
def test_left_padding_keeps_the_real_tokens_positions_too(kind):
    """The real tokens are numbered 0..n-1 from the attention mask, whichever side pads."""
    model, wrapped = _wrapped(kind)
    _sharp(model)
    left = torch.tensor([[0, 0, 0, 13, 14, 15, 16]])
    with torch.no_grad():
        wrapped.prefix.normal_()
        padded = wrapped(input_ids=left, attention_mask=_mask(left)).logits
        alone = wrapped(input_ids=left[:, 3:], attention_mask=_mask(left[:, 3:])).logits
    torch.testing.assert_close(padded.softmax(-1), alone.softmax(-1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", ["llama", "gemma2", "gpt2"])
def test_a_bf16_decoder_takes_the_fp32_prefix_and_trains_it(kind):
    """Frozen weights in bf16 (the compute precision), the prompt in fp32."""
    model, wrapped = _wrapped(kind)
    _sharp(model)
    with torch.no_grad():
        wrapped.prefix.normal_()
        full = wrapped(input_ids=IDS, attention_mask=_mask(IDS)).logits.softmax(-1)
    model.to(torch.bfloat16)
    assert wrapped.prefix.dtype == torch.float32
    out = wrapped(input_ids=IDS, attention_mask=_mask(IDS), labels=torch.tensor([0, 1]))
    torch.testing.assert_close(out.logits.float().softmax(-1), full, atol=0.05, rtol=0)
    out.loss.backward()
    assert wrapped.prefix.grad is not None and wrapped.prefix.grad.abs().sum() > 0


@pytest.mark.parametrize("kind", FAMILIES)
def test_attaching_the_route_leaves_the_decoder_unchanged_without_a_prefix(kind):
    model = tiny_decoder(kind)
    with torch.no_grad():
        before = [token_logits(model, model, ids) for ids in (IDS, IDS[:1])]
        PTuningV2().wrap(model, PTuningV2Settings(num_virtual_tokens=3))
        after = [token_logits(model, model, ids) for ids in (IDS, IDS[:1])]
    for ids, old, new in zip((IDS, IDS[:1]), before, after, strict=True):
        real = _mask(ids).bool()
        torch.testing.assert_close(new[real], old[real], atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("kind", FAMILIES)
def test_prefix_has_the_layers_key_value_heads_and_each_depth_matters(kind):
    model, wrapped = _wrapped(kind)
    config = model.config
    kv_heads = getattr(config, "num_key_value_heads", None) or config.num_attention_heads
    assert (wrapped.heads, wrapped.head_dim) == (kv_heads, 8)
    assert wrapped.prefix.shape == (2 * config.num_hidden_layers, kv_heads, 4, 8)
    _sharp(model)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        before = last_real(token_logits(wrapped, model, IDS), IDS)
        for depth in range(wrapped.layers):
            saved = wrapped.prefix[2 * depth : 2 * depth + 2].clone()
            wrapped.prefix[2 * depth : 2 * depth + 2] += (
                torch.randn(saved.shape, generator=generator) * 3
            )
            after = last_real(token_logits(wrapped, model, IDS), IDS)
            wrapped.prefix[2 * depth : 2 * depth + 2] = saved
            assert not torch.allclose(before, after, atol=1e-3), f"depth {depth} has no effect"


PROJECTION = {"prefix_projection": True, "projection_hidden_size": 16}


@pytest.mark.parametrize(
    ("kind", "options"),
    [(kind, {}) for kind in FAMILIES]  # grouped-query and multi-head prefixes reparameterised:
    + [(kind, PROJECTION) for kind in ("llama", "gpt2")]
    + [(kind, {"share_encoder": True}) for kind in ("llama", "gpt2")],
)
def test_every_parameterisation_trains_the_prompt_and_leaves_the_decoder_frozen(kind, options):
    model, wrapped = _wrapped(kind, **options)
    wrapped.train()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    assert set(frozen) == {n for n, _ in model.named_parameters() if not n.startswith("score.")}
    key, value = wrapped.prefix_kv()[0]
    assert key.shape == value.shape == (1, wrapped.heads, 4, wrapped.head_dim)
    optimizer = torch.optim.AdamW([p for p in wrapped.parameters() if p.requires_grad], lr=1e-2)
    prompt = [p for n, p in wrapped.named_parameters() if not n.startswith("model.")]
    trained = {n: p.detach().clone() for n, p in wrapped.named_parameters() if p.requires_grad}
    for step in range(3):  # zero-started output layers pass gradients on after a first step
        loss = wrapped(input_ids=IDS, attention_mask=_mask(IDS), labels=torch.tensor([0, 1])).loss
        loss.backward()
        if step == 2:
            assert prompt and all(p.grad is not None and p.grad.abs().sum() > 0 for p in prompt)
        optimizer.step()
        optimizer.zero_grad()
    for name, param in model.named_parameters():
        if name in frozen:
            assert param.grad is None and torch.equal(param, frozen[name]), name
    moved = {n for n, p in wrapped.named_parameters() if n in trained and p.ne(trained[n]).any()}
    assert moved == set(trained) and any(n.startswith("model.score.") for n in moved)


@pytest.mark.parametrize(
    ("kind", "options"),
    [(kind, {}) for kind in FAMILIES]
    + [("qwen2", {"share_encoder": True}), ("gemma2", PROJECTION)],
)
def test_a_saved_decoder_prompt_reloads_with_the_same_probabilities(kind, options, tmp_path):
    method = METHODS["ptuning_v2"]
    settings = PTuningV2Settings(num_virtual_tokens=4, **options)
    model = tiny_decoder(kind)
    wrapped = method.wrap(model, settings)
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p))  # as if trained
    wrapped.eval()
    method.save(wrapped, tmp_path)
    base = tiny_decoder(kind)  # the same frozen decoder, with a fresh head
    loaded = method.load(base, tmp_path, settings)
    with torch.no_grad():
        expected = last_real(token_logits(wrapped, model, IDS), IDS).softmax(-1)
        fresh = last_real(token_logits(base, base, IDS), IDS).softmax(-1)
        again = last_real(token_logits(loaded, base, IDS), IDS).softmax(-1)
    torch.testing.assert_close(again, expected, atol=1e-6, rtol=1e-5)
    assert not torch.allclose(fresh, expected, atol=1e-4), "the saved prompt and head must matter"


def test_a_decoder_prompt_grows_keeping_its_rows_and_shrinks_back_exactly():
    method = METHODS["ptuning_v2"]
    model, wrapped = _wrapped("llama", length=3)
    with torch.no_grad():
        wrapped.prefix.normal_()
        trained = wrapped.prefix.detach().clone()
        before = token_logits(wrapped, model, IDS)
    method.resize_prompt(wrapped, 6, PTuningV2Settings(num_virtual_tokens=3))
    assert wrapped.prefix.shape == (4, 2, 6, 8) and method.prompt_length(wrapped) == 6
    torch.testing.assert_close(wrapped.prefix[:, :, :3], trained)
    with torch.no_grad():
        assert token_logits(wrapped, model, IDS).shape == before.shape
    method.resize_prompt(wrapped, 3, PTuningV2Settings(num_virtual_tokens=6))
    torch.testing.assert_close(wrapped.prefix, trained)
    with torch.no_grad():
        torch.testing.assert_close(token_logits(wrapped, model, IDS), before)


def _layer0_key(model, token_id: int) -> torch.Tensor:
    """Independent reference: a Llama word's first-layer key at position 0 (rotation = 1)."""
    with torch.no_grad():
        layer = model.model.layers[0]
        hidden = layer.input_layernorm(model.model.embed_tokens(torch.tensor([token_id])))
        return layer.self_attn.k_proj(hidden)[0]


def test_decoder_vocabulary_keys_are_the_unrotated_first_layer_keys():
    model = tiny_decoder("llama")
    PTuningV2().wrap(model, PTuningV2Settings(num_virtual_tokens=2))
    words = [5, 17, 90]
    keys = vocabulary_keys(model, words, start_id=None)
    for row, token in enumerate(words):
        torch.testing.assert_close(keys[row], _layer0_key(model, token))


def test_a_decoder_prefix_key_equal_to_a_words_key_finds_that_word(tmp_path):
    """Word neighbours of a decoder's prompt compare keys at position 0, where the prefix keys'
    lack of rotation matches (the MiniLM vocabulary stands in for the decoder's)."""
    good = 2204
    model = tiny_decoder("llama", vocab_size=3000)
    options = {"num_virtual_tokens": 3}
    wrapped = PTuningV2().wrap(model, PTuningV2Settings(**options))
    with torch.no_grad():
        wrapped.prefix[0, :, 1, :] = _layer0_key(model, good).view(wrapped.heads, -1)
    tokenizer = load_tokenizer(None)
    folder = save_test_adapter(wrapped, "ptuning_v2", tmp_path / "base", tmp_path / "a", options)
    loaded = LoadedAdapter(wrapped.eval(), tokenizer, ["neg", "pos"], 48, {})
    tokens = nearest_words(folder, k=2, loaded=loaded)
    first = tokens[1]["words"][0]
    assert (first["word"], first["token_id"]) == ("good", good)
    assert first["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert tokens[1]["words"][1]["similarity"] < 0.99


@pytest.mark.parametrize("kind", FAMILIES)
def test_ptuning_v2_supports_every_decoder_family(kind):
    assert METHODS["ptuning_v2"].model_problems(tiny_decoder(kind).config) == []


def test_a_decoder_whose_layers_do_not_match_its_config_is_refused():
    model = tiny_decoder("llama")
    model.config.num_hidden_layers = 3
    with pytest.raises(UnsupportedModelError, match="found 2 self-attention modules but the "
                       "config has 3 layers"):  # fmt: skip
        PTuningV2().wrap(model, PTuningV2Settings(num_virtual_tokens=2))
