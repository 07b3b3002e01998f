"""Sentence pooling: which vector the classification head reads.

Encoder classifiers read the first token ([CLS] / <s>). Sentence-embedding models such as
all-MiniLM-L6-v2 were trained to be read by averaging every real token instead; their first
token carries little of the sentence. Mean pooling puts the masked average of the last layer
in the first token's slot, so the model's own head (pooler, dropout, classifier) reads it,
whatever the architecture.

Decoder classifiers (``LlamaForSequenceClassification`` and the like, :data:`DECODER_FAMILIES`)
read the last real token, the only one that has seen the whole text. transformers finds it
from ``input_ids`` and the padding id, which goes wrong twice: a decoder padded with its
end-of-text token takes a real end-of-text token at the end of a text for padding, and a model
given ``inputs_embeds`` (prompt tuning and P-Tuning v1 prepend their virtual tokens that way)
reads the very last position, padding on a right-padded batch. Last-token pooling ("last", what
"auto" picks for a decoder) reads it from the attention mask instead: the last 1 of each row's
mask, which counts the prepended virtual tokens too, and writes that token's hidden state into
every position of the backbone's output, so the head reads it whatever index it picks. PTune
pads batches on the right (:mod:`core.data.tokens`), so the real tokens keep positions 0..n-1
(after the virtual tokens, when there are any) however long the batch's longest text, and
causal attention never lets a real token see the padding after it: a text predicts the same
alone or in any batch. Mean pooling on a decoder also fills every position.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from core.errors import UnsupportedModelError
from core.messages import say
from core.modeling import DECODER_FAMILIES, is_decoder

POOLING_ATTR = "_ptune_mean_pooling"


def declared_pooling(model_source: str) -> str:
    """'mean' when a sentence-transformers folder declares mean pooling, else 'cls'."""
    config = Path(model_source) / "1_Pooling" / "config.json"
    try:
        declared = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "cls"
    return "mean" if declared.get("pooling_mode_mean_tokens") else "cls"


def resolve_pooling(requested: str, model_source: str, model_type: str | None = None) -> str:
    """The pooling a run uses: ``requested`` unless "auto", which reads the last token of a
    decoder and follows a sentence-embedding folder's declaration otherwise."""
    if requested != "auto":
        return requested
    return "last" if is_decoder(model_type) else declared_pooling(model_source)


BACKBONE_OUTPUT = ("deberta-v2", "modernbert", *DECODER_FAMILIES)
"""Families whose head reads the backbone's output rather than the encoder's: DeBERTa-v2 takes
its last hidden state from the per-layer states, and ModernBERT and the decoders have no
separate encoder."""


def _encoder(model: nn.Module) -> nn.Module:
    base = getattr(model, "base_model", None)
    backbone = base if isinstance(base, nn.Module) else model
    if getattr(getattr(model, "config", None), "model_type", None) in BACKBONE_OUTPUT:
        return backbone
    for name in ("encoder", "transformer"):
        if isinstance(getattr(backbone, name, None), nn.Module):
            return getattr(backbone, name)
    raise UnsupportedModelError(
        say("cannot find the encoder stack of {model}", model=type(model).__name__)
    )


class TokenPooling:
    """Hooks that keep each batch's attention mask and replace the last hidden state by the
    pooled vector: in position 0 (what an encoder's head reads) or, with ``everywhere``, in
    every position (a decoder's head reads one that depends on the batch)."""

    def __init__(self, model: nn.Module, everywhere: bool = False) -> None:
        self.mask: torch.Tensor | None = None
        self.everywhere = everywhere
        model.register_forward_pre_hook(self._remember_mask, with_kwargs=True)
        _encoder(model).register_forward_hook(self._pool)

    def _remember_mask(self, module: nn.Module, args: Any, kwargs: dict) -> None:
        self.mask = kwargs.get("attention_mask")

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """One vector per row of ``hidden`` (batch, tokens, width); ``mask`` marks real tokens."""
        raise NotImplementedError

    def _pool(self, module: nn.Module, args: Any, output: Any) -> Any:
        hidden = output[0] if isinstance(output, tuple) else output.last_hidden_state
        mask = None if self.mask is None else self.mask[:, -hidden.shape[1] :]
        vector = self.pooled(hidden, mask).unsqueeze(1)
        if self.everywhere:
            pooled = vector.expand_as(hidden)
        else:
            pooled = torch.cat([vector, hidden[:, 1:]], dim=1)
        if isinstance(output, tuple):
            return (pooled, *output[1:])
        output.last_hidden_state = pooled
        return output


class MeanPooling(TokenPooling):
    """The masked mean of the real tokens."""

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        if mask is None:
            return hidden.mean(dim=1)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


class LastPooling(TokenPooling):
    """The hidden state of each row's last real token (the last 1 of its mask)."""

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        if mask is None:
            return hidden[rows, -1]
        positions = torch.arange(hidden.shape[1], device=hidden.device)
        last = ((mask.to(hidden.device) > 0).long() * positions).argmax(-1)
        return hidden[rows, last]


Model = TypeVar("Model", bound=nn.Module)


def apply_pooling(model: Model, pooling: str) -> Model:
    """Install mean or last-token pooling on ``model`` (in place) when asked; 'cls' leaves it
    as it is."""
    kinds = {"mean": MeanPooling, "last": LastPooling}
    if pooling in kinds:
        everywhere = is_decoder(getattr(getattr(model, "config", None), "model_type", None))
        # the attribute keeps the hook state alive
        setattr(model, POOLING_ATTR, kinds[pooling](model, everywhere or pooling == "last"))
    return model
