"""Full fine-tuning: every weight is trained (the reference the other methods are measured by)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedModel

from core.config import ConfigBase
from core.errors import AdapterLoadError
from core.messages import say
from core.methods.base import Method
from core.modeling import HEADS, saved_head


@dataclass
class FullConfig(ConfigBase):
    """Full fine-tuning has no settings of its own."""


class Full(Method[PreTrainedModel]):
    name = "full"
    title = "Full fine-tuning"
    summary = "Trains every weight; the accuracy reference, and the largest artefact."
    config_cls = FullConfig
    default_lr = 5e-5
    default_epochs = 5
    position = 70
    translations = {
        "zh": {
            "title": "全量微调",
            "summary": "训练全部权重；准确率的参照，产物也最大。",
            "init_from_refusal": "全量微调得到的模型本身就是一个基础模型；"
            "请把它的文件夹填作基础模型",
        }
    }
    whole_model = True
    trains_backbone = True
    merge_refusal = None
    init_from_refusal = say(
        "a fully fine-tuned model is a base model of its own; give its folder as the base "
        "model instead"
    )

    def wrap(self, model: PreTrainedModel, cfg: FullConfig) -> PreTrainedModel:
        model.requires_grad_(True)
        return model

    def save(self, wrapped: PreTrainedModel, folder: Path) -> None:
        wrapped.save_pretrained(folder, safe_serialization=True)

    def load(self, model: PreTrainedModel | None, folder: Path, cfg: FullConfig) -> PreTrainedModel:
        if not (folder / "model.safetensors").is_file():
            raise AdapterLoadError(
                say("{folder} has no {file}", folder=folder, file="model.safetensors")
            )
        loaded = HEADS[saved_head(folder)].from_pretrained(
            folder, use_safetensors=True, trust_remote_code=False
        )
        return loaded.eval()
