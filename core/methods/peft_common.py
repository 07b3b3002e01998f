"""Saving and loading for the methods that peft implements (its own folder format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import torch
from peft import PeftModel, PromptLearningConfig
from torch import nn
from transformers import PreTrainedModel

from core.errors import AdapterLoadError, ConfigError
from core.messages import say
from core.methods.base import Method


class PromptDims(TypedDict):
    """The sizes :func:`prompt_dims` gives peft's prompt configs."""

    token_dim: int
    num_attention_heads: int
    num_layers: int


def prompt_dims(model_config: Any) -> PromptDims:
    """Sizes peft cannot always infer (DistilBERT names them differently).

    Virtual tokens are input embeddings, so their width is the embedding width, which ALBERT
    and ELECTRA keep narrower than the hidden size. The decoders use the common names
    (GPT-2's config maps them to its own ``n_embd``, ``n_head`` and ``n_layer``); the heads
    counted are the query heads, also where fewer key/value heads are shared among them.
    """
    width = getattr(model_config, "embedding_size", None) or model_config.hidden_size
    return {
        "token_dim": int(width),
        "num_attention_heads": int(model_config.num_attention_heads),
        "num_layers": int(model_config.num_hidden_layers),
    }


class PeftMethod(Method[PeftModel]):
    """A method saved as ``adapter_config.json`` + ``adapter_model.safetensors`` by peft."""

    peft_format = True

    def save(self, wrapped: PeftModel, folder: Path) -> None:
        wrapped.save_pretrained(str(folder), safe_serialization=True)

    def load(self, model: PreTrainedModel | None, folder: Path, cfg: Any) -> PeftModel:
        if model is None:
            raise TypeError(f"{self.name} needs the base classifier to load its adapter")
        if not (folder / "adapter_config.json").is_file():
            raise AdapterLoadError(
                say("{folder} has no {file}", folder=folder, file="adapter_config.json")
            )
        # Prompt adapters must load in inference mode: a trainable reload would put a fresh
        # random prompt encoder on top of the saved embeddings and silently change outputs.
        loaded = PeftModel.from_pretrained(model, folder, is_trainable=False)
        return loaded.eval()


class PeftPromptMethod(PeftMethod):
    """A peft method with input virtual tokens (prompt tuning, P-Tuning v1): resizable."""

    def place(self, wrapped: PeftModel, device: torch.device) -> None:
        """peft keeps the virtual tokens' ids in a plain dict on the CPU and copies them to the
        prompt's device in every forward pass: on a GPU, one host copy (and wait) per step.
        They move once instead; peft's copy is then a no-op."""
        for name, tokens in wrapped.prompt_tokens.items():
            wrapped.prompt_tokens[name] = tokens.to(device)

    def new_rows(self, wrapped: PeftModel, count: int, cfg: Any) -> torch.Tensor:
        """Starting values of ``count`` new virtual tokens (as a fresh prompt starts)."""
        raise NotImplementedError

    def prompt_length(self, wrapped: PeftModel) -> int | None:
        return int(prompt_config(wrapped).num_virtual_tokens)

    def resize_prompt(self, wrapped: PeftModel, length: int, cfg: Any) -> None:
        name = wrapped.active_adapter
        peft_cfg = prompt_config(wrapped)
        if peft_cfg.num_transformer_submodules != 1:
            raise ConfigError(say("prompt growth supports encoder models only"))
        encoder = wrapped.prompt_encoder[name]
        old = prompt_embedding(encoder).weight
        keep = min(length, old.shape[0])
        rows = [old.detach()[:keep]]
        if length > keep:
            rows.append(self.new_rows(wrapped, length - keep, cfg).to(old.device, old.dtype))
        embedding = nn.Embedding(length, old.shape[1], device=old.device, dtype=old.dtype)
        embedding.weight = nn.Parameter(torch.cat(rows), requires_grad=old.requires_grad)
        encoder.embedding = embedding
        if hasattr(encoder, "total_virtual_tokens"):
            setattr(encoder, "total_virtual_tokens", length)  # noqa: B010 - an int, not a module
        peft_cfg.num_virtual_tokens = length
        wrapped.prompt_tokens[name] = torch.arange(length, device=old.device).long()


def prompt_config(wrapped: PeftModel) -> PromptLearningConfig:
    """The settings of the active adapter of a peft model with virtual tokens."""
    peft_cfg = wrapped.peft_config[wrapped.active_adapter]
    if not isinstance(peft_cfg, PromptLearningConfig):
        raise TypeError(f"{type(peft_cfg).__name__} is not a prompt method's peft config")
    return peft_cfg


def prompt_embedding(encoder: nn.Module) -> nn.Embedding:
    """The virtual tokens' embedding of a peft prompt encoder (prompt tuning and P-Tuning v1
    keep it as ``embedding``)."""
    embedding = encoder.embedding
    if not isinstance(embedding, nn.Embedding):
        raise TypeError(f"{type(encoder).__name__} keeps no embedding of virtual tokens")
    return embedding
