"""LoRA (Hu et al. 2021): low-rank updates of the attention projections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from transformers import PreTrainedModel

from core.config import ConfigBase, param
from core.messages import Message, say
from core.methods.base import head_extras
from core.methods.peft_common import PeftMethod

# Attention projections per architecture (query/key/value and the attention output).
ATTENTION_TARGETS = {
    "bert": ["query", "key", "value", "attention.output.dense"],
    "roberta": ["query", "key", "value", "attention.output.dense"],
    "xlm-roberta": ["query", "key", "value", "attention.output.dense"],
    "electra": ["query", "key", "value", "attention.output.dense"],
    "distilbert": ["q_lin", "k_lin", "v_lin", "out_lin"],
    "camembert": ["query", "key", "value", "attention.output.dense"],
    "ernie": ["query", "key", "value", "attention.output.dense"],
    # ALBERT's one shared layer: the update is shared across depths like the weights it adapts.
    "albert": ["query", "key", "value", "attention.dense"],
    "deberta-v2": ["query_proj", "key_proj", "value_proj", "attention.output.dense"],
    "mpnet": ["attn.q", "attn.k", "attn.v", "attn.o"],
    # One fused query/key/value projection; "attn.Wo", since the MLP has a "Wo" too.
    "modernbert": ["Wqkv", "attn.Wo"],
    # Decoders: grouped-query projections (k_proj and v_proj narrower where the family shares
    # key/value heads) and the attention output.
    "llama": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "qwen2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "qwen3": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "mistral": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "gemma2": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "gemma3_text": ["q_proj", "k_proj", "v_proj", "o_proj"],
    "phi3": ["qkv_proj", "o_proj"],
    # GPT-2's fused query/key/value and its output are Conv1D layers (weights stored
    # transposed: FAN_IN_FAN_OUT); "attn.c_proj", since the MLP has a "c_proj" too.
    "gpt2": ["c_attn", "attn.c_proj"],
    # "attention.dense", since the MLP has dense_h_to_4h and dense_4h_to_h.
    "gpt_neox": ["query_key_value", "attention.dense"],
}

FAN_IN_FAN_OUT = ("gpt2",)
"""Families whose adapted layers keep their weight as (in, out), as GPT-2's Conv1D does."""


@dataclass
class LoraSettings(ConfigBase):
    r: int = param(8, "Rank of each low-rank update.", min=1, max=256, label="Rank r")
    alpha: int = param(
        16,
        "Scale of the update (the effective scale is alpha / r).",
        min=1,
        max=1024,
        label="Alpha",
    )
    dropout: float = param(0.1, "Dropout on the LoRA input.", min=0.0, max=0.9, label="Dropout")
    target_modules: str = param(
        "",
        "Comma-separated module names to adapt; empty means every attention projection "
        "of the architecture.",
        label="Target modules",
        advanced=True,
    )


def target_modules(cfg: LoraSettings, model_config: Any) -> list[str]:
    if cfg.target_modules.strip():
        return [m.strip() for m in cfg.target_modules.split(",") if m.strip()]
    return ATTENTION_TARGETS[model_config.model_type]


class Lora(PeftMethod):
    name = "lora"
    title = "LoRA"
    summary = "Low-rank updates of the attention weights; near full fine-tuning accuracy."
    config_cls = LoraSettings
    default_lr = 1e-3
    default_epochs = 10
    position = 40
    translations = {
        "zh": {"title": "LoRA", "summary": "对注意力权重做低秩更新；准确率接近全量微调。"}
    }
    families = tuple(ATTENTION_TARGETS)
    typical_share = ("LoRA", 0.1, 1.0)
    merge_refusal = None  # each low-rank update folds into the weight it adapts

    def model_problems(self, model_config: Any) -> list[Message]:
        if model_config.model_type not in ATTENTION_TARGETS:
            template = "LoRA has no default targets for '{kind}'; set target_modules"
            return [say(template, kind=model_config.model_type)]
        return []

    def wrap(self, model: PreTrainedModel, cfg: LoraSettings) -> PeftModel:
        peft_cfg = LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=cfg.r,
            lora_alpha=cfg.alpha,
            lora_dropout=cfg.dropout,
            target_modules=target_modules(cfg, model.config),
            fan_in_fan_out=model.config.model_type in FAN_IN_FAN_OUT,
            modules_to_save=head_extras(model.config) or None,
        )
        return get_peft_model(model, peft_cfg)
