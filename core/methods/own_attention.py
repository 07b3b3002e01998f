"""Deep prompts for families whose attention code bypasses transformers' attention interface.

DeBERTa-v2/v3 and MPNet add relative-position terms to the scores inside their own attention
modules, so the prefix cannot arrive through :mod:`core.methods.deep_prompt`'s attention
function. Instead each attention module's forward is replaced by one that prepends its layer's
prefix keys/values, as the P-Tuning v2 reference code does for DeBERTa: content scores cover the
prefix and the real keys, relative-position terms are computed among real tokens only, and the
prefix columns get a zero relative bias; the mask is widened by P visible columns.

The model call receives the prefix (``ptune_prefix``) and a capture dict (``ptune_capture``) as
keyword arguments, like the interface route; a pre-hook on the model takes them out of the call
(these models do not pass unknown arguments down to their layers) and hands them to the layers.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers.models.deberta_v2.modeling_deberta_v2 import (
    DisentangledSelfAttention,
    scaled_size_sqrt,
)
from transformers.models.mpnet.modeling_mpnet import MPNetSelfAttention

from core.errors import UnsupportedModelError
from core.messages import say

SLOT_ATTR = "_ptune_slot"
LAYER_ATTR = "_ptune_layer"

OWN_ATTENTION = {
    "deberta-v2": ("query_proj", "key_proj", "value_proj"),
    "mpnet": ("q", "k", "v", "o"),
}
"""Projection names that mark each family's self-attention module."""


class PrefixSlot:
    """The prefix and capture dict of the model call in progress (None outside a call)."""

    def __init__(self) -> None:
        self.prefix: Any = None
        self.capture: dict | None = None

    def take(self, module: nn.Module, args: Any, kwargs: dict) -> tuple[Any, dict]:
        self.prefix = kwargs.pop("ptune_prefix", None)
        self.capture = kwargs.pop("ptune_capture", None)
        return args, kwargs

    def clear(self, *_: Any) -> None:
        self.prefix = self.capture = None


def with_prefix(
    prefix: tuple[torch.Tensor, torch.Tensor], key: torch.Tensor, value: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """``key`` and ``value`` (batch, heads, tokens, head_dim) with one layer's prefix keys and
    values (1, heads, P, head_dim) put before every row's tokens, in their dtype and device."""
    prefix_key, prefix_value = prefix
    batch = key.shape[0]
    key = torch.cat([prefix_key.expand(batch, -1, -1, -1).to(key), key], dim=2)
    value = torch.cat([prefix_value.expand(batch, -1, -1, -1).to(value), value], dim=2)
    return key, value


def _heads_first(x: torch.Tensor, heads: int) -> torch.Tensor:
    """(batch * heads, length, dim) -> (batch, heads, length, dim)."""
    return x.view(-1, heads, x.shape[-2], x.shape[-1])


def _deberta_forward(
    self: DisentangledSelfAttention,
    hidden_states: torch.Tensor,
    attention_mask: torch.Tensor,
    output_attentions: bool = False,
    query_states: torch.Tensor | None = None,
    relative_pos: torch.Tensor | None = None,
    rel_embeddings: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """DeBERTa-v2's disentangled attention with this layer's prefix prepended to keys/values."""
    slot: PrefixSlot = getattr(self, SLOT_ATTR)
    layer: int = getattr(self, LAYER_ATTR)
    heads = self.num_attention_heads
    if query_states is None:
        query_states = hidden_states
    query = self.transpose_for_scores(self.query_proj(query_states), heads)
    key = self.transpose_for_scores(self.key_proj(hidden_states), heads)
    value = self.transpose_for_scores(self.value_proj(hidden_states), heads)
    if slot.capture is not None:
        slot.capture[layer] = (
            _heads_first(key, heads).detach(),
            _heads_first(value, heads).detach(),
        )
    scale_factor = 1 + ("c2p" in self.pos_att_type) + ("p2c" in self.pos_att_type)
    scale = scaled_size_sqrt(query, scale_factor)
    rel_att = None
    if self.relative_attention:
        rel_embeddings = self.pos_dropout(rel_embeddings)
        # Relative terms among real tokens only: the prefix has no position.
        rel_att = self.disentangled_attention_bias(
            query, key, relative_pos, rel_embeddings, scale_factor
        )
    mask = attention_mask.bool()
    if slot.prefix is not None:
        prefix_key, prefix_value = slot.prefix[layer]  # 1, heads, P, dim
        batch, length = mask.shape[0], prefix_key.shape[2]
        flat = (batch * heads, length, prefix_key.shape[-1])
        key = torch.cat([prefix_key.expand(batch, -1, -1, -1).reshape(flat).to(key), key], 1)
        value = torch.cat(
            [prefix_value.expand(batch, -1, -1, -1).reshape(flat).to(value), value], 1
        )
        if rel_att is not None:
            rel_att = torch.cat([rel_att.new_zeros(*rel_att.shape[:-1], length), rel_att], -1)
        mask = torch.cat([mask.new_ones(*mask.shape[:-1], length), mask], dim=-1)
    scores = torch.bmm(query, key.transpose(-1, -2) / scale.to(dtype=query.dtype))
    if rel_att is not None:
        scores = scores + rel_att
    scores = scores.view(-1, heads, scores.size(-2), scores.size(-1))
    scores = scores.masked_fill(~mask, torch.finfo(query.dtype).min)
    probs = self.dropout(nn.functional.softmax(scores, dim=-1))
    context = torch.bmm(probs.view(-1, probs.size(-2), probs.size(-1)), value)
    context = _heads_first(context, heads).permute(0, 2, 1, 3).contiguous()
    context = context.view(*context.shape[:-2], -1)
    return (context, probs if output_attentions else None)


def _mpnet_forward(
    self: MPNetSelfAttention,
    hidden_states: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    position_bias: torch.Tensor | None = None,
    output_attentions: bool = False,
    **kwargs: Any,
) -> tuple[torch.Tensor, ...]:
    """MPNet's attention with this layer's prefix prepended to keys/values."""
    slot: PrefixSlot = getattr(self, SLOT_ATTR)
    layer: int = getattr(self, LAYER_ATTR)
    shape = (*hidden_states.shape[:-1], -1, self.attention_head_size)
    query = self.q(hidden_states).view(shape).transpose(1, 2)
    key = self.k(hidden_states).view(shape).transpose(1, 2)
    value = self.v(hidden_states).view(shape).transpose(1, 2)
    if slot.capture is not None:
        slot.capture[layer] = (key.detach(), value.detach())
    if slot.prefix is not None:
        length = slot.prefix[layer][0].shape[2]  # 1, heads, P, dim
        key, value = with_prefix(slot.prefix[layer], key, value)
        # Zero relative bias and an open mask for the prefix columns.
        if position_bias is not None:
            zeros = position_bias.new_zeros(*position_bias.shape[:-1], length)
            position_bias = torch.cat([zeros, position_bias], dim=-1)
        if attention_mask is not None:
            zeros = attention_mask.new_zeros(*attention_mask.shape[:-1], length)
            attention_mask = torch.cat([zeros, attention_mask], dim=-1)
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(self.attention_head_size)
    if position_bias is not None:
        scores = scores + position_bias
    if attention_mask is not None:
        scores = scores + attention_mask
    probs = self.dropout(nn.functional.softmax(scores, dim=-1))
    context = torch.matmul(probs, value).permute(0, 2, 1, 3).contiguous()
    output = self.o(context.view(*context.shape[:-2], self.all_head_size))
    return (output, probs) if output_attentions else (output,)


FORWARDS: dict[str, Callable[..., Any]] = {
    "deberta-v2": _deberta_forward,
    "mpnet": _mpnet_forward,
}
"""The replacement forward of each family's self-attention module."""


def attention_modules(model: nn.Module, model_type: str) -> list[nn.Module]:
    names = OWN_ATTENTION[model_type]
    return [
        m for m in model.modules() if all(isinstance(getattr(m, n, None), nn.Linear) for n in names)
    ]


def attach(model: PreTrainedModel) -> int:
    """Give the model's own attention modules the prefix route; returns the layer count."""
    kind = model.config.model_type
    modules = attention_modules(model, kind)
    layers = int(model.config.num_hidden_layers)
    if len(modules) != layers:
        raise UnsupportedModelError(
            say("found {found} self-attention modules but the config has {layers} layers",
                found=len(modules), layers=layers)
        )  # fmt: skip
    slot = PrefixSlot()
    for index, module in enumerate(modules):
        setattr(module, SLOT_ATTR, slot)
        setattr(module, LAYER_ATTR, index)
        module.forward = types.MethodType(FORWARDS[kind], module)
    model.register_forward_pre_hook(slot.take, with_kwargs=True)
    model.register_forward_hook(slot.clear, always_call=True)
    return layers
