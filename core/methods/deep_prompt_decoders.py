"""Deep prompts for decoder language models: a key/value prefix every real token sees.

Decoders call transformers' attention interface like the encoders of :mod:`deep_prompt`, so the
prefix travels the same way: a keyword argument of the model call that transformers hands down
to every attention layer, prepended there to that layer's keys and values. What differs:

- Rotary positions are applied to queries and keys before the attention function runs, so the
  prefix keys are used as given (no position, never rotated) and the real tokens keep their
  positions 0..n-1: the wrapper passes ``position_ids`` counted from the attention mask, which
  the prefix does not enter (left padding shifts nothing either).
- The keys carry the layer's own key/value heads (grouped-query attention): the prefix has
  ``num_key_value_heads`` heads, which the attention function repeats as it does real keys.
- The causal mask must exist as a tensor. transformers leaves it out when nothing is padded and
  lets SDPA apply ``is_causal``, whose triangle is aligned to the top-left corner: with P more
  keys than queries it would hide real keys a token may see. The mask function registered here
  always builds it; the prefix columns are then opened for every query, in global,
  sliding-window and local layers alike (the window covers the real tokens only).
- Gemma-2 caps its attention logits (``softcap``), which SDPA cannot do: such a layer runs its
  family's own eager attention with the mask turned additive.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from transformers import AttentionInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from core.errors import UnsupportedModelError
from core.messages import say
from core.methods.own_attention import with_prefix
from core.modeling import is_decoder as is_decoder_type

ATTENTION_NAME = "ptune_prefix_causal"
LAYER_ATTR = "_ptune_layer"


def is_decoder(model_config: Any) -> bool:
    """Whether the model is a decoder (:data:`core.modeling.DECODER_FAMILIES`): causal
    attention, the prefix taken this way."""
    return is_decoder_type(getattr(model_config, "model_type", None))


def causal_mask(**kwargs: Any) -> torch.Tensor | None:
    """transformers' SDPA mask, always built (never left to SDPA's top-left ``is_causal``)."""
    kwargs["allow_is_causal_skip"] = False
    return sdpa_mask(**kwargs)


def _widen_mask(
    mask: torch.Tensor | None, query: torch.Tensor, key: torch.Tensor, prefix_len: int
) -> torch.Tensor:
    """The mask over [prefix, real keys]: the prefix visible from every query."""
    if mask is None:  # only when a caller bypassed the mask function: causal over real keys
        steps = torch.arange(key.shape[2], device=key.device)
        queries = torch.arange(query.shape[2], device=key.device) + key.shape[2] - query.shape[2]
        mask = (steps[None, :] <= queries[:, None])[None, None]
    shape = (*mask.shape[:-1], prefix_len)
    # Boolean masks mark visible keys with True; additive masks with 0.
    pad = mask.new_ones(shape) if mask.dtype == torch.bool else mask.new_zeros(shape)
    return torch.cat([pad, mask], dim=-1)


def _additive(mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """A boolean mask as the additive one that eager attention functions add to the scores."""
    if mask is None or mask.dtype != torch.bool:
        return mask
    return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(
        ~mask, torch.finfo(dtype).min
    )


def _eager_function(module: nn.Module) -> Callable[..., Any]:
    """The eager attention of the module's own family (it applies ``softcap``)."""
    function = getattr(sys.modules[type(module).__module__], "eager_attention_forward", None)
    if function is None:
        raise RuntimeError(f"{type(module).__name__} caps its logits but has no eager attention")
    return function


def prefix_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    ptune_prefix: Any = None,
    ptune_capture: dict | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, Any]:
    """Causal attention with this layer's prefix keys/values prepended, when one is given."""
    layer: int | None = getattr(module, LAYER_ATTR, None)
    if ptune_capture is not None and layer is not None:
        ptune_capture[layer] = (key.detach(), value.detach())
    if ptune_prefix is not None:
        if layer is None:
            raise RuntimeError("deep prompts were not attached to this model")
        prefix = ptune_prefix[layer]  # keys and values: 1, key/value heads, P, head_dim
        attention_mask = _widen_mask(attention_mask, query, key, prefix[0].shape[2])
        key, value = with_prefix(prefix, key, value)
    if kwargs.get("softcap") is not None:
        eager = _eager_function(module)
        return eager(module, query, key, value, _additive(attention_mask, query.dtype), **kwargs)
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


AttentionInterface.register(ATTENTION_NAME, prefix_attention)
AttentionMaskInterface.register(ATTENTION_NAME, causal_mask)


def attention_modules(model: nn.Module) -> list[nn.Module]:
    """Self-attention modules in layer order: those knowing their layer and their causality."""
    found: list[tuple[int, nn.Module]] = []
    for module in model.modules():
        index = getattr(module, "layer_idx", None)
        if isinstance(index, int) and hasattr(module, "is_causal"):
            found.append((index, module))
    return [module for _, module in sorted(found, key=lambda pair: pair[0])]


def attach(model: PreTrainedModel) -> int:
    """Route the decoder's attention through :func:`prefix_attention`; returns the depth.

    Without a prefix argument the function is plain causal attention (SDPA, or the family's
    eager attention where it caps logits), so the model behaves as before.
    """
    modules = attention_modules(model)
    layers = int(model.config.num_hidden_layers)
    if [m.layer_idx for m in modules] != list(range(layers)):
        raise UnsupportedModelError(
            say("found {found} self-attention modules but the config has {layers} layers",
                found=len(modules), layers=layers)
        )  # fmt: skip
    for module in modules:
        setattr(module, LAYER_ATTR, module.layer_idx)
    model.set_attn_implementation(ATTENTION_NAME)
    return layers
