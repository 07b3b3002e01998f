"""Starting a run from a trained adapter (``init_from``) instead of fresh weights.

The prompt (or other method weights) always carries over; the classifier only when the adapter
was trained for the same labels, since a head for other labels has the wrong shape or meaning.
Typical use: fine-tune one task's adapter of a multi-task run on that task alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from peft import set_peft_model_state_dict
from safetensors.torch import load_file
from torch import nn

from core.config import ConfigBase, TrainConfig
from core.errors import ConfigError
from core.messages import say
from core.methods import Method, get_method
from core.methods.base import WEIGHTS_FILE
from core.training.artifacts import read_meta

HEAD_NAMES = ("classifier", "score")


def adapter_settings(config: TrainConfig) -> tuple[dict[str, Any], ConfigBase]:
    """The adapter's metadata and the method settings it was trained with (checked to fit)."""
    folder = Path(str(config.init_from))
    meta = read_meta(folder)
    if meta["method"] != config.method:
        raise ConfigError(
            say(
                "the adapter in {folder} was trained with {method}, not {this}; choose method "
                "{method} to start from it",
                folder=folder,
                method=meta["method"],
                this=config.method,
            )
        )
    method = get_method(config.method)
    if method.init_from_refusal:
        raise ConfigError(method.init_from_refusal)
    if meta["base_model"] != config.model:
        raise ConfigError(
            say(
                "the adapter in {folder} was trained on base model {model}, not {this}; choose "
                "that base model to start from it",
                folder=folder,
                model=meta["base_model"],
                this=config.model,
            )
        )
    options = dict(meta.get("method_options") or {})
    for name in ("grow", "grow_at"):  # the saved prompt has its final size
        options.pop(name, None)
    return meta, method.config_cls.from_stored(options)


def _is_head(name: str) -> bool:
    return any(part in HEAD_NAMES for part in name.split("."))


def load_initial_weights(
    method: Method, wrapped: nn.Module, meta: dict[str, Any], folder: Path, labels: list[str]
) -> bool:
    """Copy the adapter's weights into ``wrapped``; returns whether the classifier came too."""
    same_labels = list(meta["label_names"]) == list(labels)
    saved = load_file(str(Path(folder) / WEIGHTS_FILE))
    if not same_labels:
        saved = {k: v for k, v in saved.items() if not _is_head(k)}
    if method.peft_format:
        result = set_peft_model_state_dict(wrapped, saved)
        # peft sets the prompt itself; any other unused key means the adapter does not fit
        # (peft annotates the result as the namedtuple factory, not torch's load result)
        unexpected = result.unexpected_keys  # type: ignore[attr-defined]
        missing = [k for k in unexpected if k != "prompt_embeddings"]
        if missing:
            raise ConfigError(
                say("the adapter's weights do not fit this model (e.g. {name})", name=missing[0])
            )
        return same_labels
    current = method.trainable_state(wrapped)
    for name, tensor in saved.items():
        if name not in current or current[name].shape != tensor.shape:
            raise ConfigError(
                say(
                    "the adapter's tensor {name} {shape} does not fit this model; start from an "
                    "adapter trained with the same settings",
                    name=name,
                    shape=tuple(tensor.shape),
                )
            )
        current[name] = tensor
    with torch.no_grad():
        method.load_trainable_state(wrapped, current)
    return same_labels
