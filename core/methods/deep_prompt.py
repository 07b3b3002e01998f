"""Deep prompts for encoders: per-layer key/value prefixes through transformers' attention API.

peft's prefix tuning cannot drive encoder classifiers on transformers 5 (it passes the renamed
``past_key_values`` argument, and DistilBERT has no cache at all). Instead, an attention
function registered with :class:`transformers.AttentionInterface` receives the prefix as a
keyword argument that transformers forwards untouched from the model call down to every
attention layer, prepends it to that layer's keys and values, and widens the attention mask so
every query may attend to it. Real tokens keep their positions, and the classifier pools the
real first token, as in the P-Tuning v2 reference implementation.

Families with rotary positions (ModernBERT) rotate queries and keys before calling the attention
function, so the prefix keys are used as given: they carry no position. Local-window layers get
a mask of their window that is widened the same way, so they see the prefix too. ALBERT runs one
shared layer at every depth; a per-forward call counter gives each depth its own prefix.
Decoder language models (causal masks, grouped-query heads) take :mod:`deep_prompt_decoders`.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import AttentionInterface, PreTrainedModel
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from core.errors import UnsupportedModelError
from core.messages import say
from core.methods import deep_prompt_decoders, own_attention

ATTENTION_NAME = "ptune_prefix"
LAYER_ATTR = "_ptune_layer"
DEPTH_ATTR = "_ptune_depth"
PROJECTION_NAMES = (("query", "key", "value"), ("q_lin", "k_lin", "v_lin"), ("Wqkv", "Wo"))

Prefix = tuple[tuple[torch.Tensor, torch.Tensor], ...]


def _widen_mask(mask: torch.Tensor | None, prefix_len: int) -> torch.Tensor | None:
    if mask is None:
        return None  # no padding anywhere: every key, prefix included, is visible
    shape = (*mask.shape[:-1], prefix_len)
    # Boolean masks mark visible keys with True; additive masks with 0.
    pad = mask.new_ones(shape) if mask.dtype == torch.bool else mask.new_zeros(shape)
    return torch.cat([pad, mask], dim=-1)


class DepthCounter:
    """Depth of the next attention call in a stack whose layers share modules (ALBERT).

    The layers run in depth order, so counting calls since the model's forward began gives the
    depth; the count restarts at every forward of the model.
    """

    def __init__(self) -> None:
        self.calls = 0

    def restart(self, *_: object) -> None:
        self.calls = 0

    def next(self) -> int:
        depth = self.calls
        self.calls += 1
        return depth


def _depth(module: nn.Module) -> int | None:
    layer = getattr(module, LAYER_ATTR, None)
    if layer is not None:
        return layer
    counter = getattr(module, DEPTH_ATTR, None)
    return counter.next() if counter is not None else None


def prefix_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    ptune_prefix: Prefix | None = None,
    ptune_capture: dict | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """SDPA attention with this layer's prefix keys/values prepended, when one is given."""
    layer = _depth(module)
    if ptune_capture is not None and layer is not None:
        ptune_capture[layer] = (key.detach(), value.detach())
    if ptune_prefix is not None:
        if layer is None:
            raise RuntimeError("deep prompts were not attached to this model")
        key, value = own_attention.with_prefix(ptune_prefix[layer], key, value)
        attention_mask = _widen_mask(attention_mask, ptune_prefix[layer][0].shape[2])
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


AttentionInterface.register(ATTENTION_NAME, prefix_attention)
AttentionMaskInterface.register(ATTENTION_NAME, sdpa_mask)


def attention_modules(model: nn.Module) -> list[nn.Module]:
    """Self-attention modules in layer order (those owning query/key/value projections)."""
    found = []
    for module in model.modules():
        for names in PROJECTION_NAMES:
            if all(isinstance(getattr(module, n, None), nn.Linear) for n in names):
                found.append(module)
                break
    return found


def attention_depth(model_config) -> int:
    """Attention layers one forward runs through (ALBERT reruns its shared layers)."""
    return int(model_config.num_hidden_layers) * int(getattr(model_config, "inner_group_num", 1))


def attach(model: PreTrainedModel) -> int:
    """Route the model's attention through :func:`prefix_attention`; returns the depth.

    Without a prefix argument the function is plain SDPA, so the model behaves as before.
    Families with their own attention code take the route of :mod:`own_attention`, decoder
    language models that of :mod:`deep_prompt_decoders`.
    """
    if getattr(model.config, "model_type", None) in own_attention.OWN_ATTENTION:
        return own_attention.attach(model)
    if deep_prompt_decoders.is_decoder(model.config):
        return deep_prompt_decoders.attach(model)
    modules = attention_modules(model)
    depth = attention_depth(model.config)
    shared = getattr(model.config, "model_type", None) == "albert"
    if not modules or (len(modules) != depth and not shared):
        raise UnsupportedModelError(
            say("found {found} self-attention modules but the config has {layers} layers",
                found=len(modules), layers=depth)
        )  # fmt: skip
    if shared:
        # One module serves several depths: each depth is told apart by call order.
        counter = DepthCounter()
        for module in modules:
            setattr(module, DEPTH_ATTR, counter)
        model.register_forward_pre_hook(counter.restart)
    else:
        for index, module in enumerate(modules):
            setattr(module, LAYER_ATTR, index)
    model.set_attn_implementation(ATTENTION_NAME)
    return depth
