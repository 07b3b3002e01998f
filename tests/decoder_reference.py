"""Tiny decoder classifiers and a hand-written forward pass with a P-Tuning v2 prefix.

The reference runs each family's layers from their parts (projections, norms, MLPs), with the
attention written out here: rotary positions 0..n-1 turned by hand on the real queries and keys
only, the prefix keys/values put in front of the real ones unrotated, the key/value heads
repeated for grouped-query attention, Gemma-2's logit soft-capping, and an explicit mask in
which every query sees all P prefix keys plus the real keys it may see (causal, within its
window in sliding layers, not padding). It shares no code with the injection route.
"""

from __future__ import annotations

import torch

TINY = {
    "vocab_size": 128,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "max_position_embeddings": 64,
    "pad_token_id": 0,
    "bos_token_id": 1,
    "eos_token_id": 2,
}
"""Sizes of the tiny decoders: 4 query heads of width 8, 2 key/value heads where the family has
grouped-query attention, and a window of 3 tokens where it has sliding-window layers."""

WINDOW = 3
GQA = {"num_key_value_heads": 2, "head_dim": 8}
GEMMA = {**GQA, "query_pre_attn_scalar": 8, "sliding_window": WINDOW}
SLIDING_SECOND = {"use_sliding_window": True, "sliding_window": WINDOW,
                  "layer_types": ["full_attention", "sliding_attention"]}  # fmt: skip

DECODERS = {
    "llama": GQA,
    "qwen2": {**GQA, **SLIDING_SECOND},
    "qwen3": {**GQA, **SLIDING_SECOND},
    "mistral": {**GQA, "sliding_window": WINDOW},
    # A soft cap low enough to bite on the tiny model's scores.
    "gemma2": {**GEMMA, "attn_logit_softcapping": 2.0},
    "gemma3_text": {**GEMMA, "layer_types": ["sliding_attention", "full_attention"]},
    "phi3": {"num_key_value_heads": 2, "sliding_window": WINDOW, "partial_rotary_factor": 0.5},
    "gpt2": {},
    "gpt_neox": {"rotary_pct": 0.25},
}
"""Per-family settings: every attention feature each family has is switched on."""


def tiny_decoder_config(model_type: str, **overrides):
    """The config of :func:`tiny_decoder`; ``overrides`` set any of its fields."""
    from transformers import CONFIG_MAPPING

    return CONFIG_MAPPING[model_type](**{**TINY, **DECODERS[model_type], **overrides}, num_labels=2)


def tiny_decoder(model_type: str, seed: int = 0, **overrides):
    """A random two-label decoder classifier of ``model_type`` (pad token 0, right padding)."""
    from transformers import AutoModelForSequenceClassification

    torch.manual_seed(seed)
    config = tiny_decoder_config(model_type, **overrides)
    return AutoModelForSequenceClassification.from_config(config).eval()


def sliding_layers(config) -> list[bool]:
    """Which layers attend within a window (Mistral and Phi-3 window every layer)."""
    types = getattr(config, "layer_types", None)
    if types is not None:
        return [kind == "sliding_attention" for kind in types]
    return [getattr(config, "sliding_window", None) is not None] * config.num_hidden_layers


def _rotate(x: torch.Tensor, position: torch.Tensor, theta: float, fraction: float):
    """Rotary embedding by hand on the first ``fraction`` of each head's dims (half-split pairs)."""
    dims = int(x.shape[-1] * fraction)
    inverse = 1.0 / theta ** (torch.arange(0, dims, 2, dtype=torch.float32) / dims)
    angles = position[:, None].float() * inverse[None, :]
    cos, sin = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()
    turned, kept = x[..., :dims], x[..., dims:]
    half = dims // 2
    swapped = torch.cat([-turned[..., half:], turned[..., :half]], dim=-1)
    return torch.cat([turned * cos + swapped * sin, kept], dim=-1)


def _heads(x: torch.Tensor, width: int) -> torch.Tensor:
    """(batch, n, heads * width) -> (batch, heads, n, width)."""
    return x.view(x.shape[0], x.shape[1], -1, width).transpose(1, 2)


def _projections(kind: str, attn, h: torch.Tensor, config):
    """Queries, keys, values (batch, heads, n, head_dim) from the layer's own projections."""
    width = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    if kind == "gpt2":
        return [_heads(x, width) for x in attn.c_attn(h).split(config.hidden_size, dim=2)]
    if kind == "gpt_neox":  # per head: [query | key | value]
        fused = _heads(attn.query_key_value(h), 3 * width)
        return list(fused.chunk(3, dim=-1))
    if kind == "phi3":
        q_width = config.num_attention_heads * width
        kv_width = config.num_key_value_heads * width
        fused = attn.qkv_proj(h)
        parts = fused.split([q_width, kv_width, kv_width], dim=-1)
        return [_heads(x, width) for x in parts]
    q, k, v = (_heads(f(h), width) for f in (attn.q_proj, attn.k_proj, attn.v_proj))
    if hasattr(attn, "q_norm"):  # Qwen3, Gemma-3: a norm per head before the rotation
        q, k = attn.q_norm(q), attn.k_norm(k)
    return [q, k, v]


def _rope(config, index: int) -> tuple[float, float] | None:
    """(theta, rotated fraction) of layer ``index``, None for GPT-2 (learned positions)."""
    rope = getattr(config, "rope_parameters", None)
    if rope is None:
        return None
    if "rope_theta" not in rope:  # Gemma-3: one rotary per layer type
        rope = rope[config.layer_types[index]]
    return float(rope["rope_theta"]), float(rope.get("partial_rotary_factor", 1.0))


def _visible(mask: torch.Tensor, window: int | None, prefix_len: int) -> torch.Tensor:
    """(batch, 1, n, P + n): all prefix keys, then the causal (windowed) non-padding keys."""
    batch, length = mask.shape
    steps = torch.arange(length)
    distance = steps[:, None] - steps[None, :]
    allowed = distance >= 0
    if window is not None:
        allowed = allowed & (distance < window)
    real = allowed[None] & mask.bool()[:, None, :]
    prefix = torch.ones(batch, length, prefix_len, dtype=torch.bool)
    return torch.cat([prefix, real], dim=-1)[:, None]


def attention(kind, attn, h, mask, prefix_kv, index, config, softcap=True, windows=True, first=0):
    """One attention block of the reference: the attended values, before the out projection.

    ``softcap=False`` or ``windows=False`` leave out the soft cap or the sliding windows, and
    ``first=P`` numbers the real tokens from P on as if the prefix took positions 0..P-1, to
    show that the tests' inputs make each of them matter."""
    q, k, v = _projections(kind, attn, h, config)
    rope = _rope(config, index)
    if rope is not None:
        positions = torch.arange(h.shape[1]) + first  # real tokens at 0..n-1 (first=0)
        q, k = _rotate(q, positions, *rope), _rotate(k, positions, *rope)
    prefix_key, prefix_value = prefix_kv  # 1, key/value heads, P, head_dim: never rotated
    batch = h.shape[0]
    k = torch.cat([prefix_key.expand(batch, -1, -1, -1), k], dim=2)
    v = torch.cat([prefix_value.expand(batch, -1, -1, -1), v], dim=2)
    groups = q.shape[1] // k.shape[1]
    k, v = k.repeat_interleave(groups, dim=1), v.repeat_interleave(groups, dim=1)
    if kind.startswith("gemma"):
        scale = config.query_pre_attn_scalar**-0.5
    else:
        scale = q.shape[-1] ** -0.5
    scores = q @ k.transpose(-1, -2) * scale
    cap = getattr(config, "attn_logit_softcapping", None) if kind == "gemma2" else None
    if cap is not None and softcap:
        scores = torch.tanh(scores / cap) * cap
    window = config.sliding_window if windows and sliding_layers(config)[index] else None
    scores = scores.masked_fill(~_visible(mask, window, prefix_key.shape[2]), -torch.inf)
    context = scores.softmax(-1) @ v
    return context.transpose(1, 2).reshape(batch, h.shape[1], -1)


def reference_hidden(model, prefix, ids, mask, softcap=True, windows=True, first=0):
    """The last hidden states (after the final norm) of a decoder with the prefix, by hand."""
    kind, config = model.config.model_type, model.config

    def attend(attn, h, index):
        variant = {"softcap": softcap, "windows": windows, "first": first}
        return attention(kind, attn, h, mask, prefix[index], index, config, **variant)

    if kind == "gpt2":
        base = model.transformer
        x = base.wte(ids) + base.wpe(torch.arange(ids.shape[1]) + first)[None]
        for i, block in enumerate(base.h):
            x = x + block.attn.c_proj(attend(block.attn, block.ln_1(x), i))
            x = x + block.mlp(block.ln_2(x))
        return base.ln_f(x)
    if kind == "gpt_neox":
        base = model.gpt_neox
        x = base.embed_in(ids)
        for i, layer in enumerate(base.layers):  # parallel residual
            attended = layer.attention.dense(attend(layer.attention, layer.input_layernorm(x), i))
            x = x + attended + layer.mlp(layer.post_attention_layernorm(x))
        return base.final_layer_norm(x)
    base = model.model
    x = base.embed_tokens(ids)  # Gemma's embedding module multiplies by sqrt(hidden) itself
    for i, layer in enumerate(base.layers):
        attended = layer.self_attn.o_proj(attend(layer.self_attn, layer.input_layernorm(x), i))
        if kind.startswith("gemma"):  # norms after attention and around the MLP
            x = x + layer.post_attention_layernorm(attended)
            mlp = layer.mlp(layer.pre_feedforward_layernorm(x))
            x = x + layer.post_feedforward_layernorm(mlp)
        else:
            x = x + attended
            x = x + layer.mlp(layer.post_attention_layernorm(x))
    return base.norm(x)
