"""P-Tuning v2 deep prompts: checked against an independent attention computation."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import tiny_inputs, tiny_model

from core.methods.base import classifier_head
from core.methods.ptuning_v2 import PTuningV2, PTuningV2Settings

# Every family: through transformers' attention interface or their own attention code.
ALL_FAMILIES = ["bert", "roberta", "distilbert", "xlm-roberta", "electra", "albert", "camembert",
                "ernie", "modernbert", "deberta-v2", "mpnet"]  # fmt: skip


def _wrapped(model_type: str = "bert", **options):
    model = tiny_model(model_type)
    settings = PTuningV2Settings(num_virtual_tokens=5, prefix_dropout=0.0, **options)
    return model, PTuningV2().wrap(model, settings)


def _batch():
    inputs = tiny_inputs()
    return inputs["input_ids"], inputs["attention_mask"]


def reference_bert_logits(model, prefix, ids, mask):
    """BERT forward written out by hand, with each layer's prefix concatenated to K and V."""
    bert = model.bert
    hidden = bert.embeddings(input_ids=ids)
    batch, length = ids.shape
    heads = model.config.num_attention_heads
    dim = model.config.hidden_size // heads
    visible = torch.cat([torch.ones(batch, prefix[0][0].shape[2]), mask.float()], dim=1)
    bias = (1.0 - visible)[:, None, None, :] * torch.finfo(torch.float32).min
    for index, layer in enumerate(bert.encoder.layer):
        attn = layer.attention.self

        def split(x):
            return x.view(batch, length, heads, dim).transpose(1, 2)

        q, k, v = split(attn.query(hidden)), split(attn.key(hidden)), split(attn.value(hidden))
        k = torch.cat([prefix[index][0].expand(batch, -1, -1, -1), k], dim=2)
        v = torch.cat([prefix[index][1].expand(batch, -1, -1, -1), v], dim=2)
        scores = q @ k.transpose(-1, -2) / math.sqrt(dim) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, heads * dim)
        attended = layer.attention.output(context, hidden)
        hidden = layer.output(layer.intermediate(attended), attended)
    return model.classifier(bert.pooler(hidden))


def test_deep_prompt_matches_hand_written_attention_with_prefix():
    model, wrapped = _wrapped()
    wrapped.eval()
    with torch.no_grad():
        wrapped.prefix.normal_()  # a prefix far from the initial one, so the test is sharp
        model.classifier.weight.normal_()  # logits of order 1, so differences show
        ids, mask = _batch()
        expected = reference_bert_logits(model, wrapped.prefix_kv(), ids, mask)
        actual = wrapped(input_ids=ids, attention_mask=mask).logits
        without = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-4)
    assert not torch.allclose(actual, without, atol=1e-2), "the prefix must change the output"


@pytest.mark.parametrize("model_type", ALL_FAMILIES)
def test_padding_does_not_change_logits(model_type):
    _, wrapped = _wrapped(model_type)
    wrapped.eval()
    ids, mask = _batch()
    with torch.no_grad():
        batched = wrapped(input_ids=ids, attention_mask=mask).logits
        alone = wrapped(input_ids=ids[1:, :3], attention_mask=mask[1:, :3]).logits
        extra_padding = torch.nn.functional.pad(ids, (0, 4))
        padded_more = wrapped(
            input_ids=extra_padding, attention_mask=(extra_padding != 0).long()
        ).logits
    torch.testing.assert_close(batched[1:], alone, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(batched, padded_more, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("projection", [False, True])
def test_gradients_reach_prefix_and_frozen_weights_stay_bit_identical(projection):
    model, wrapped = _wrapped(prefix_projection=projection, projection_hidden_size=16)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    trainable = [p for p in wrapped.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-2)
    ids, mask = _batch()
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(
            wrapped(input_ids=ids, attention_mask=mask).logits, torch.tensor([0, 1])
        )
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    prompt_params = [p for n, p in wrapped.named_parameters() if not n.startswith("model.")]
    assert prompt_params and all(p.requires_grad for p in prompt_params)
    loss = torch.nn.functional.cross_entropy(
        wrapped(input_ids=ids, attention_mask=mask).logits, torch.tensor([0, 1])
    )
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in prompt_params)
    for name, param in model.named_parameters():
        if name in frozen:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), f"{name} moved"
    assert set(frozen) == {n for n, _ in model.named_parameters() if "classifier" not in n}


def test_prefix_starts_inside_the_layer_key_distribution():
    _, wrapped = _wrapped()
    keys = wrapped.prefix[0::2]
    assert keys.abs().mean() > 0 and torch.isfinite(keys).all()


def _sharp(model) -> None:
    """Logits of order 1, so that differences in the layers below show."""
    with torch.no_grad():
        for p in classifier_head(model).parameters():
            p.normal_()


@pytest.mark.parametrize("model_type", ALL_FAMILIES)
def test_every_depth_has_its_own_prefix_that_changes_the_output(model_type):
    """Changing one depth's prefix alone changes the logits, at every depth.

    ALBERT runs one shared layer at every depth; its prefix must still be per depth.
    """
    model, wrapped = _wrapped(model_type)
    wrapped.eval()
    _sharp(model)
    ids, mask = _batch()
    with torch.no_grad():
        before = wrapped(input_ids=ids, attention_mask=mask).logits
        without = model(input_ids=ids, attention_mask=mask).logits
        assert not torch.allclose(before, without, atol=1e-3), "the prefix must change the output"
        generator = torch.Generator().manual_seed(1)
        for depth in range(wrapped.layers):
            saved = wrapped.prefix[2 * depth : 2 * depth + 2].clone()
            noise = torch.randn(saved.shape, generator=generator) * 3
            wrapped.prefix[2 * depth : 2 * depth + 2] += noise
            after = wrapped(input_ids=ids, attention_mask=mask).logits
            wrapped.prefix[2 * depth : 2 * depth + 2] = saved
            assert not torch.allclose(before, after, atol=1e-3), f"depth {depth} has no effect"


def test_albert_prefix_has_one_entry_per_depth_the_shared_layers_run_at():
    """Depth = hidden layers x layers per group; each depth starts from its own keys."""
    model = tiny_model("albert", inner_group_num=2)
    settings = PTuningV2Settings(num_virtual_tokens=5, prefix_dropout=0.0)
    wrapped = PTuningV2().wrap(model, settings).eval()
    assert wrapped.layers == 4
    keys = wrapped.prefix[0::2]
    assert all(not torch.allclose(keys[0], keys[d]) for d in range(1, 4))
    ids, mask = _batch()
    with torch.no_grad():
        assert wrapped(input_ids=ids, attention_mask=mask).logits.shape == (2, 2)


def _rotate(x, cos, sin):
    """Rotary embedding written out: pairs (x1, x2) of the two halves turn by the angle."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos[:, None] + rotated * sin[:, None]


def reference_modernbert_logits(model, prefix, ids, mask):
    """ModernBERT by hand: rotary queries/keys of real tokens, prefix keys unrotated, local
    layers windowed over real tokens only, the prefix visible from every query."""
    inner, config = model.model, model.config
    hidden = inner.embeddings(input_ids=ids)
    batch, length = ids.shape
    heads = config.num_attention_heads
    dim = config.hidden_size // heads
    steps = torch.arange(length)
    near = (steps[:, None] - steps[None, :]).abs() <= config.local_attention // 2
    positions = steps.unsqueeze(0)
    for index, layer in enumerate(inner.layers):
        local = config.layer_types[index] == "sliding_attention"
        cos, sin = inner.rotary_emb(hidden, positions, config.layer_types[index])
        qkv = layer.attn.Wqkv(layer.attn_norm(hidden)).view(batch, length, 3, heads, dim)
        q, k, v = (qkv[:, :, i].transpose(1, 2) for i in range(3))
        q, k = _rotate(q, cos, sin), _rotate(k, cos, sin)
        k = torch.cat([prefix[index][0].expand(batch, -1, -1, -1), k], dim=2)
        v = torch.cat([prefix[index][1].expand(batch, -1, -1, -1), v], dim=2)
        real = mask.bool()[:, None, None, :] & (near if local else torch.ones_like(near))
        visible = torch.cat([torch.ones(batch, 1, length, prefix[0][0].shape[2]).bool(), real], -1)
        scores = (q @ k.transpose(-1, -2) / math.sqrt(dim)).masked_fill(~visible, -math.inf)
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, heads * dim)
        hidden = hidden + layer.attn.Wo(context)
        hidden = hidden + layer.mlp(layer.mlp_norm(hidden))
    hidden = inner.final_norm(hidden)
    return model.classifier(model.head(hidden[:, 0]))


def test_modernbert_prefix_matches_hand_written_rotary_and_local_attention():
    model, wrapped = _wrapped("modernbert")
    assert model.config.layer_types == ["full_attention", "sliding_attention"]
    wrapped.eval()
    _sharp(model)
    ids = torch.tensor([[101, 2023, 3185, 2001, 2307, 1037, 2466, 102], [101, 6659, 102] + [0] * 5])
    mask = (ids != 0).long()
    with torch.no_grad():
        wrapped.prefix.normal_()
        expected = reference_modernbert_logits(model, wrapped.prefix_kv(), ids, mask)
        actual = wrapped(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-4)


def _split(x, heads):
    batch, length, width = x.shape
    return x.view(batch, length, heads, width // heads).transpose(1, 2)


def _with_prefix(prefix, index, k, v):
    batch = k.shape[0]
    k = torch.cat([prefix[index][0].expand(batch, -1, -1, -1), k], dim=2)
    return k, torch.cat([prefix[index][1].expand(batch, -1, -1, -1), v], dim=2)


def reference_deberta_logits(model, prefix, ids, mask):
    """DeBERTa-v2 by hand with the prefix: content scores over prefix and real keys, the
    relative-position terms (the model's own c2p/p2c function) among real tokens only, zero
    relative bias for the prefix columns, and the prefix visible from every query."""
    deberta, heads = model.deberta, model.config.num_attention_heads
    hidden = deberta.embeddings(input_ids=ids, mask=mask)
    encoder = deberta.encoder
    rel_embeddings, relative_pos = encoder.get_rel_embedding(), encoder.get_rel_pos(hidden)
    batch, length = ids.shape
    real = (mask[:, None, :, None] * mask[:, None, None, :]).bool()
    visible = torch.cat([torch.ones(batch, 1, length, prefix[0][0].shape[2]).bool(), real], -1)
    for index, layer in enumerate(encoder.layer):
        attn = layer.attention.self
        q = _split(attn.query_proj(hidden), heads)
        k, v = _split(attn.key_proj(hidden), heads), _split(attn.value_proj(hidden), heads)
        dim = q.shape[-1]
        flat = (batch * heads, length, dim)
        relative = attn.disentangled_attention_bias(
            q.reshape(flat), k.reshape(flat), relative_pos, rel_embeddings, 3
        ).view(batch, heads, length, length)
        k, v = _with_prefix(prefix, index, k, v)
        zeros = torch.zeros(batch, heads, length, prefix[0][0].shape[2])
        scores = q @ k.transpose(-1, -2) / math.sqrt(dim * 3) + torch.cat([zeros, relative], -1)
        scores = scores.masked_fill(~visible, torch.finfo(torch.float32).min)
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, heads * dim)
        attended = layer.attention.output(context, hidden)
        hidden = layer.output(layer.intermediate(attended), attended)
    return model.classifier(model.pooler(hidden))


def reference_mpnet_logits(model, prefix, ids, mask):
    """MPNet by hand with the prefix: its relative position bias among real tokens, zero bias
    and no mask for the prefix columns."""
    mpnet, heads = model.mpnet, model.config.num_attention_heads
    hidden = mpnet.embeddings(input_ids=ids)
    bias = mpnet.encoder.compute_position_bias(hidden)
    batch, length = ids.shape
    zeros = torch.zeros(batch, heads, length, prefix[0][0].shape[2])
    bias = torch.cat([zeros.narrow(2, 0, length), bias.expand(batch, -1, -1, -1)], dim=-1)
    visible = torch.cat([torch.ones(batch, prefix[0][0].shape[2]), mask.float()], dim=1)
    bias = bias + (1.0 - visible)[:, None, None, :] * torch.finfo(torch.float32).min
    for index, layer in enumerate(mpnet.encoder.layer):
        attn = layer.attention.attn
        q, k, v = (_split(f(hidden), heads) for f in (attn.q, attn.k, attn.v))
        dim = q.shape[-1]
        k, v = _with_prefix(prefix, index, k, v)
        scores = q @ k.transpose(-1, -2) / math.sqrt(dim) + bias
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(batch, length, heads * dim)
        attended = layer.attention.LayerNorm(attn.o(context) + hidden)
        hidden = layer.output(layer.intermediate(attended), attended)
    return model.classifier(hidden)


@pytest.mark.parametrize(
    ("model_type", "reference"),
    [("deberta-v2", reference_deberta_logits), ("mpnet", reference_mpnet_logits)],
)
def test_own_attention_prefix_matches_hand_written_relative_attention(model_type, reference):
    model, wrapped = _wrapped(model_type)
    wrapped.eval()
    _sharp(model)
    ids, mask = _batch()
    with torch.no_grad():
        wrapped.prefix.normal_()
        expected = reference(model, wrapped.prefix_kv(), ids, mask)
        actual = wrapped(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("model_type", ["deberta-v2", "mpnet"])
def test_own_attention_route_leaves_the_model_unchanged_without_a_prefix(model_type):
    model = tiny_model(model_type).eval()
    ids, mask = _batch()
    with torch.no_grad():
        before = model(input_ids=ids, attention_mask=mask).logits
        PTuningV2().wrap(model, PTuningV2Settings(num_virtual_tokens=3))
        after = model(input_ids=ids, attention_mask=mask).logits
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-4)
