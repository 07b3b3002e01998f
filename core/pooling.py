"""Sentence pooling: which vector the classification head reads.

Encoder classifiers read the first token ([CLS] / <s>). Sentence-embedding models such as
all-MiniLM-L6-v2 were trained to be read by averaging every real token instead; their first
token carries little of the sentence. Mean pooling puts the masked average of the last layer
in the first token's slot, so the model's own head (pooler, dropout, classifier) reads it,
whatever the architecture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from core.errors import UnsupportedModelError
from core.messages import say

POOLING_ATTR = "_ptune_mean_pooling"


def declared_pooling(model_source: str) -> str:
    """'mean' when a sentence-transformers folder declares mean pooling, else 'cls'."""
    config = Path(model_source) / "1_Pooling" / "config.json"
    try:
        declared = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "cls"
    return "mean" if declared.get("pooling_mode_mean_tokens") else "cls"


def resolve_pooling(requested: str, model_source: str) -> str:
    return declared_pooling(model_source) if requested == "auto" else requested


BACKBONE_OUTPUT = ("deberta-v2", "modernbert")
"""Families whose head reads the backbone's output rather than the encoder's: DeBERTa-v2 takes
its last hidden state from the per-layer states, and ModernBERT has no separate encoder."""


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


class MeanPooling:
    """Hooks that write the masked token mean into position 0 of the last hidden state."""

    def __init__(self, model: nn.Module) -> None:
        self.mask: torch.Tensor | None = None
        model.register_forward_pre_hook(self._remember_mask, with_kwargs=True)
        _encoder(model).register_forward_hook(self._pool)

    def _remember_mask(self, module: nn.Module, args: Any, kwargs: dict) -> None:
        self.mask = kwargs.get("attention_mask")

    def _pool(self, module: nn.Module, args: Any, output: Any) -> Any:
        hidden = output[0] if isinstance(output, tuple) else output.last_hidden_state
        if self.mask is None:
            mean = hidden.mean(dim=1)
        else:
            weights = self.mask[:, -hidden.shape[1] :].unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        pooled = torch.cat([mean.unsqueeze(1), hidden[:, 1:]], dim=1)
        if isinstance(output, tuple):
            return (pooled, *output[1:])
        output.last_hidden_state = pooled
        return output


Model = TypeVar("Model", bound=nn.Module)


def apply_pooling(model: Model, pooling: str) -> Model:
    """Install mean pooling on ``model`` (in place) when asked; 'cls' leaves it as it is."""
    if pooling == "mean":
        setattr(model, POOLING_ATTR, MeanPooling(model))  # keeps the hook state alive
    return model
