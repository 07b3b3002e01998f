"""Head only: the encoder stays frozen and only the classifier is trained (cheapest baseline)."""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedModel

from core.config import ConfigBase
from core.methods.base import Method, freeze, train_head


@dataclass
class HeadOnlyConfig(ConfigBase):
    """Head-only training has no settings of its own."""


class HeadOnly(Method[PreTrainedModel]):
    name = "head_only"
    title = "Head only"
    summary = "Frozen encoder, trains the classification head only."
    config_cls = HeadOnlyConfig
    default_lr = 5e-3
    default_epochs = 10
    position = 60
    translations = {"zh": {"title": "仅分类头", "summary": "冻结编码器，只训练分类头。"}}
    merge_refusal = None  # the base is unchanged: base weights plus the trained head
    backward_through_layers = False

    def wrap(self, model: PreTrainedModel, cfg: HeadOnlyConfig) -> PreTrainedModel:
        freeze(model)
        train_head(model)
        return model
