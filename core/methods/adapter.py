"""Bottleneck adapter (Houlsby et al. 2019) after each layer's attention and feed-forward output."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from torch import nn
from transformers import PreTrainedModel

from core.config import ConfigBase, param
from core.messages import say
from core.methods.base import Method, freeze, train_head

DECODER_PROJECTIONS = r"layers\.\d+\.(self_attn\.o_proj|mlp\.down_proj)$"
"""The attention and feed-forward output projections of Llama-style decoders."""

# Output projections (before residual + LayerNorm) that adapters follow, per architecture.
TARGETS = {
    "bert": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "roberta": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "xlm-roberta": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "electra": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "distilbert": r"layer\.\d+\.(attention\.out_lin|ffn\.lin2)$",
    "camembert": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "ernie": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "deberta-v2": r"layer\.\d+\.(attention\.output|output)\.dense$",
    "mpnet": r"layer\.\d+\.(attention\.attn\.o|output\.dense)$",
    # ALBERT's layer is shared across depths, and so are the adapters that follow it.
    "albert": r"albert_layers\.\d+\.(attention\.dense|ffn_output)$",
    # Pre-LayerNorm: the projections' outputs go straight into the residual sum.
    "modernbert": r"layers\.\d+\.(attn|mlp)\.Wo$",
    # Decoders are pre-norm too. Gemma normalises each output before the residual sum; the
    # adapter then sits before that norm, as it sits before BERT's LayerNorm.
    "llama": DECODER_PROJECTIONS,
    "qwen2": DECODER_PROJECTIONS,
    "qwen3": DECODER_PROJECTIONS,
    "mistral": DECODER_PROJECTIONS,
    "gemma2": DECODER_PROJECTIONS,
    "gemma3_text": DECODER_PROJECTIONS,
    "phi3": DECODER_PROJECTIONS,
    "gpt2": r"\bh\.\d+\.(attn|mlp)\.c_proj$",
    # Pythia adds both outputs to the residual in parallel; each gets its adapter.
    "gpt_neox": r"layers\.\d+\.(attention\.dense|mlp\.dense_4h_to_h)$",
}

LAYER_NORMS = re.compile(r"(layers?|\bh)\.\d+\.")
"""Names of the norms inside the layers (``layer.3.``, ``albert_layers.0.``, GPT-2's ``h.0.``)."""


def is_layer_norm(module: nn.Module) -> bool:
    """A LayerNorm, or the RMSNorm that Llama-style decoders use in its place."""
    return isinstance(module, nn.LayerNorm) or type(module).__name__.endswith("RMSNorm")


@dataclass
class AdapterSettings(ConfigBase):
    bottleneck: int = param(
        64, "Width of each adapter's bottleneck.", min=1, max=2048, label="Bottleneck size"
    )
    train_layernorm: bool = param(
        True,
        "Also train the LayerNorm (a decoder's RMSNorm) weights inside the layers, as in "
        "Houlsby et al.",
        label="Train LayerNorms",
        advanced=True,
    )


class Bottleneck(nn.Module):
    """x + up(gelu(down(x))), with ``up`` zero-initialised so training starts from the base."""

    def __init__(self, width: int, bottleneck: int) -> None:
        super().__init__()
        self.down = nn.Linear(width, bottleneck)
        self.act = nn.GELU()
        self.up = nn.Linear(bottleneck, width)
        nn.init.zeros_(self.up.weight)
        nn.init.zeros_(self.up.bias)

    def forward(self, x: Any) -> Any:
        return x + self.up(self.act(self.down(x)))


class AdapterModel(nn.Module):
    """A frozen classifier whose chosen projections feed through bottleneck adapters."""

    def __init__(self, model: PreTrainedModel, cfg: AdapterSettings) -> None:
        super().__init__()
        self.model = model
        pattern = re.compile(TARGETS[model.config.model_type])
        width = int(model.config.hidden_size)
        self.adapters = nn.ModuleDict()
        for name, module in model.named_modules():
            if pattern.search(name):
                adapter = Bottleneck(width, cfg.bottleneck)
                self.adapters[name.replace(".", "__")] = adapter
                module.register_forward_hook(_apply(adapter))

    @property
    def config(self) -> Any:
        return self.model.config

    def forward(self, **inputs: Any) -> Any:
        return self.model(**inputs)


def _apply(adapter: Bottleneck):
    def hook(module: nn.Module, args: Any, output: Any) -> Any:
        return adapter(output)

    return hook


class Adapter(Method[AdapterModel]):
    name = "adapter"
    title = "Bottleneck adapter"
    summary = "Small residual MLPs after attention and feed-forward; frozen encoder."
    config_cls = AdapterSettings
    default_lr = 1e-3
    default_epochs = 10
    position = 50
    translations = {
        "zh": {
            "title": "瓶颈适配器",
            "summary": "在注意力和前馈层之后加入小型残差 MLP；编码器冻结。",
            "merge_refusal": "它的瓶颈层在每一层内增加了计算（一条非线性的旁路，无法并入基础模型的"
            "任何权重），普通的 Hugging Face 分类器没有这部分计算",
        }
    }
    families = tuple(TARGETS)
    typical_share = ("Adapter", 1.0, 3.0)
    merge_refusal = say(
        "its bottleneck layers add computation inside every layer (a non-linear detour that "
        "no weight of the base can absorb), which a plain Hugging Face classifier does not have"
    )

    def wrap(self, model: PreTrainedModel, cfg: AdapterSettings) -> AdapterModel:
        freeze(model)
        wrapped = AdapterModel(model, cfg)
        if cfg.train_layernorm:
            for name, module in model.named_modules():
                if is_layer_norm(module) and LAYER_NORMS.search(name):
                    module.requires_grad_(True)
        train_head(model)
        return wrapped
