"""Saving and loading for the methods that peft implements (its own folder format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peft import PeftModel
from torch import nn

from core.errors import AdapterLoadError
from core.methods.base import Method


def prompt_dims(model_config: Any) -> dict[str, int]:
    """Sizes peft cannot always infer (DistilBERT names them differently)."""
    return {
        "token_dim": int(model_config.hidden_size),
        "num_attention_heads": int(model_config.num_attention_heads),
        "num_layers": int(model_config.num_hidden_layers),
    }


class PeftMethod(Method):
    """A method saved as ``adapter_config.json`` + ``adapter_model.safetensors`` by peft."""

    peft_format = True

    def save(self, wrapped: nn.Module, folder: Path) -> None:
        wrapped.save_pretrained(folder, safe_serialization=True)

    def load(self, model: nn.Module, folder: Path, cfg: Any) -> nn.Module:
        if not (folder / "adapter_config.json").is_file():
            raise AdapterLoadError(f"{folder} has no adapter_config.json")
        # Prompt adapters must load in inference mode: a trainable reload would put a fresh
        # random prompt encoder on top of the saved embeddings and silently change outputs.
        loaded = PeftModel.from_pretrained(model, folder, is_trainable=False)
        return loaded.eval()
