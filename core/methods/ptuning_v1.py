"""P-Tuning v1 (Liu et al. 2021): virtual tokens produced by a small LSTM or MLP encoder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from peft import (
    PeftModel,
    PromptEncoderConfig,
    PromptEncoderReparameterizationType,
    TaskType,
    get_peft_model,
)
from transformers import PreTrainedModel

from core.config import param
from core.messages import say
from core.methods.base import head_extras
from core.methods.peft_common import PeftPromptMethod, prompt_dims
from core.training.growth import PromptSettings


@dataclass
class PTuningV1Settings(PromptSettings):
    num_virtual_tokens: int = param(
        20, "Virtual tokens prepended to every input.", min=1, max=200, label="Prompt length"
    )
    encoder: str = param(
        "mlp",
        "Network that produces the virtual tokens: an MLP or a bidirectional LSTM.",
        choices=("mlp", "lstm"),
        label="Prompt encoder",
    )
    encoder_hidden_size: int = param(
        256, "Hidden size of the prompt encoder.", min=8, max=4096, label="Encoder hidden size"
    )
    encoder_num_layers: int = param(
        2,
        "Layers of the LSTM encoder (the MLP always has two).",
        min=1,
        max=4,
        label="Encoder layers",
        advanced=True,
    )
    encoder_dropout: float = param(
        0.0,
        "Dropout inside the prompt encoder.",
        min=0.0,
        max=0.9,
        label="Encoder dropout",
        advanced=True,
    )


class PTuningV1(PeftPromptMethod):
    name = "ptuning_v1"
    title = "P-Tuning v1"
    summary = "Virtual input tokens from an LSTM/MLP prompt encoder; saved as the encoder's output."
    config_cls = PTuningV1Settings
    default_lr = 1e-2
    default_epochs = 30
    position = 20
    translations = {
        "zh": {
            "title": "P-Tuning v1",
            "summary": "由 LSTM/MLP 提示编码器生成虚拟输入词元；保存编码器的输出。",
            "merge_refusal": "它学到的虚拟词元在每次预测时作为额外输入放在文本之前，"
            "普通的 Hugging Face 分类器没有容纳它们的位置",
            "init_from_refusal": "P-Tuning v1 适配器只保存了提示编码器的输出，没有保存编码器本身；"
            "请改为从该 P-Tuning v1 运行的检查点继续训练",
        }
    }
    prompt_space = "input"
    merge_refusal = say(
        "its learned virtual tokens are extra inputs placed before the text at every "
        "prediction, and a plain Hugging Face classifier has no place for them"
    )
    init_from_refusal = say(
        "P-Tuning v1 adapters keep only the prompt encoder's output, not the encoder; continue "
        "a P-Tuning v1 run from its checkpoint instead"
    )
    typical_share = ("P-Tuning", 0.01, 0.1)

    def reserved_positions(self, cfg: PTuningV1Settings) -> int:
        return cfg.num_virtual_tokens

    def wrap(self, model: PreTrainedModel, cfg: PTuningV1Settings) -> PeftModel:
        kind = {
            "mlp": PromptEncoderReparameterizationType.MLP,
            "lstm": PromptEncoderReparameterizationType.LSTM,
        }[cfg.encoder]
        peft_cfg = PromptEncoderConfig(
            task_type=TaskType.SEQ_CLS,
            num_virtual_tokens=cfg.num_virtual_tokens,
            encoder_reparameterization_type=kind,
            encoder_hidden_size=cfg.encoder_hidden_size,
            encoder_num_layers=cfg.encoder_num_layers,
            encoder_dropout=cfg.encoder_dropout,
            modules_to_save=head_extras(model.config) or None,
            **prompt_dims(model.config),
        )
        return get_peft_model(model, peft_cfg)

    def new_rows(self, wrapped: Any, count: int, cfg: PTuningV1Settings) -> torch.Tensor:
        """Standard-normal encoder inputs, as a fresh encoder's embedding starts.

        With the LSTM encoder every output depends on the whole sequence, so growth also
        shifts the earlier tokens' outputs; the MLP encoder maps each token on its own.
        """
        generator = torch.Generator().manual_seed(count)
        dim = wrapped.prompt_encoder[wrapped.active_adapter].embedding.weight.shape[1]
        return torch.randn(count, dim, generator=generator)
