"""Prompt tuning (Lester et al. 2021): P trainable virtual-token embeddings at the input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

import torch
from peft import PeftModel, PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import PreTrainedModel

from core.config import Problem, param
from core.messages import say
from core.methods.base import head_extras
from core.methods.peft_common import PeftPromptMethod, prompt_dims
from core.training.growth import PromptSettings


@dataclass
class PromptTuningSettings(PromptSettings):
    num_virtual_tokens: int = param(
        20,
        "Virtual tokens prepended to every input; more tokens, more capacity, slower steps.",
        min=1,
        max=200,
        label="Prompt length",
    )
    init: str = param(
        "sample_vocab",
        "How the virtual tokens start: embeddings of random vocabulary words, of a text, or "
        "random numbers.",
        choices=("sample_vocab", "text", "random"),
        label="Initialisation",
    )
    init_text: str = param(
        "Classify the following text.",
        "Text whose token embeddings start the prompt (used when initialisation is 'text').",
        label="Initial text",
        advanced=True,
    )

    def problems(self) -> list[Problem]:
        found = super().problems()
        if self.init == "text" and not self.init_text.strip():
            message = say("init_text is empty; give a short text or choose another init")
            found.append(self.problem("init_text", message))
        return found


class TextInit(TypedDict, total=False):
    """What peft needs to start the prompt from a text's tokens."""

    prompt_tuning_init_text: str
    tokenizer_name_or_path: str | None


class PromptTuning(PeftPromptMethod):
    name = "prompt_tuning"
    title = "Prompt tuning"
    summary = "Learns P input embeddings; tiny adapter, weakest on small encoders."
    config_cls = PromptTuningSettings
    default_lr = 3e-2
    default_epochs = 30
    position = 10
    translations = {
        "zh": {
            "title": "提示微调",
            "summary": "学习 P 个输入嵌入；适配器极小，在小型编码器上效果最弱。",
            "merge_refusal": "它学到的虚拟词元在每次预测时作为额外输入放在文本之前，"
            "普通的 Hugging Face 分类器没有容纳它们的位置",
        }
    }
    prompt_space = "input"
    multitask = True
    merge_refusal = say(
        "its learned virtual tokens are extra inputs placed before the text at every "
        "prediction, and a plain Hugging Face classifier has no place for them"
    )
    typical_share = ("P-Tuning", 0.01, 0.1)

    def reserved_positions(self, cfg: PromptTuningSettings) -> int:
        return cfg.num_virtual_tokens

    def wrap(self, model: PreTrainedModel, cfg: PromptTuningSettings) -> PeftModel:
        init = {
            "sample_vocab": PromptTuningInit.SAMPLE_VOCAB,
            "text": PromptTuningInit.TEXT,
            "random": PromptTuningInit.RANDOM,
        }[cfg.init]
        extra: TextInit = {}
        if init is PromptTuningInit.TEXT:
            extra = {
                "prompt_tuning_init_text": cfg.init_text,
                "tokenizer_name_or_path": model.config.name_or_path,
            }
        peft_cfg = PromptTuningConfig(
            task_type=TaskType.SEQ_CLS,
            num_virtual_tokens=cfg.num_virtual_tokens,
            prompt_tuning_init=init,
            modules_to_save=head_extras(model.config) or None,
            **prompt_dims(model.config),
            **extra,
        )
        return get_peft_model(model, peft_cfg)

    def new_rows(self, wrapped: Any, count: int, cfg: PromptTuningSettings) -> torch.Tensor:
        """Embeddings of random vocabulary words (or random numbers for init 'random')."""
        generator = torch.Generator().manual_seed(count)
        words = wrapped.word_embeddings.weight.detach()
        if cfg.init == "random":
            return torch.randn(count, words.shape[1], generator=generator)
        ids = torch.randint(0, words.shape[0], (count,), generator=generator)
        return words[ids.to(words.device)].float().clone()
