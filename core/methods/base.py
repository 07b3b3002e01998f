"""What every training method provides, and helpers they share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import PreTrainedModel

from core.config import ConfigBase
from core.errors import AdapterLoadError, ConfigError
from core.messages import Message, say

WEIGHTS_FILE = "adapter_model.safetensors"

Wrapped = TypeVar("Wrapped", bound=nn.Module)
"""The trainable model a method makes of a base classifier (what :meth:`Method.wrap` returns)."""


class Method(Generic[Wrapped]):
    """A way of making a classifier trainable, saving it and loading it back.

    Subclasses set the class attributes and implement :meth:`wrap`; methods whose weights are
    not in peft's format keep the default :meth:`save` / :meth:`load`, which store the
    trainable tensors in ``adapter_model.safetensors``. A method is generic in the model it
    wraps the base classifier into, so its other hooks take that model's own type.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    config_cls: ClassVar[type[ConfigBase]]
    default_lr: ClassVar[float]
    default_epochs: ClassVar[float]
    position: ClassVar[int] = 100
    """Place in the method pickers and listings (smaller first)."""
    translations: ClassVar[dict[str, dict[str, str]]] = {}
    """Title, summary and the refusals in languages other than English:
    ``{"zh": {"title", "summary", "merge_refusal", "init_from_refusal"}}`` (the app's message
    catalogue, :mod:`app.i18n.catalog.methods`, takes them from here)."""
    prompt_space: ClassVar[str | None] = None
    """Where the learned prompt lives: ``"input"`` (virtual-token embeddings before the first
    layer), ``"keys"`` (a key/value prefix at every layer) or None (no prompt)."""
    multitask: ClassVar[bool] = False
    """Whether several tasks can share this method's weights (one head per task)."""
    whole_model: ClassVar[bool] = False
    """Whether the saved folder is a complete model (no base model needed to load it)."""
    peft_format: ClassVar[bool] = False
    """Whether the saved folder is peft's own format (``PeftModel.from_pretrained`` loads it)."""
    families: ClassVar[tuple[str, ...] | None] = None
    """Model types (``config.model_type``) it supports; None for every supported family."""
    init_from_refusal: ClassVar[Message | None] = None
    """Why a run cannot start from this method's adapter folder (None when it can)."""
    merge_refusal: ClassVar[Message | None] = say(
        "its trained weights are not part of a plain Hugging Face classifier"
    )
    """Why its adapter cannot become a plain Hugging Face model folder (``core.export``);
    None when the trained classifier is an ordinary model of the base's own class."""
    trains_backbone: ClassVar[bool] = False
    """Whether every weight of the backbone trains (its optimizer holds the whole model)."""
    backward_through_layers: ClassVar[bool] = True
    """Whether training back-propagates through the backbone's layers (to a prompt at the input
    or in every layer, or to weights inside them): the layers' activations are then kept for the
    backward pass, and gradient checkpointing can recompute them instead. False when only a
    head after the layers trains."""
    typical_share: ClassVar[tuple[str, float, float] | None] = None
    """The trainable-parameter share usually quoted for this kind of method:
    (kind, low %, high %), e.g. ("LoRA", 0.1, 1.0)."""

    @property
    def has_prompt(self) -> bool:
        """True for methods that learn virtual tokens (prompt length, growth, prompt words)."""
        return self.prompt_space is not None

    @property
    def said_title(self) -> Message:
        """The title as part of a sentence, so that the sentence's translation shows the title
        of the person's language (from :attr:`translations`)."""
        return say(self.title)

    def title_in(self, lang: str) -> str:
        return self.translations.get(lang, {}).get("title", self.title)

    def merge_refusal_in(self, lang: str) -> str | None:
        if self.merge_refusal is None:
            return None
        return self.translations.get(lang, {}).get("merge_refusal", self.merge_refusal)

    def summary_in(self, lang: str) -> str:
        return self.translations.get(lang, {}).get("summary", self.summary)

    def reserved_positions(self, cfg: Any) -> int:
        """Input positions taken by virtual tokens (0 when the method adds none)."""
        return 0

    def model_problems(self, model_config: Any) -> list[Message]:
        """Reasons this method cannot run on this architecture (empty when it can)."""
        kind = getattr(model_config, "model_type", None)
        if self.families is None or kind in self.families:
            return []
        template = "{method} does not support '{kind}' models; it supports {families}"
        return [say(template, method=self.said_title, kind=kind, families=", ".join(self.families))]

    def wrap(self, model: PreTrainedModel, cfg: Any) -> Wrapped:
        raise NotImplementedError

    def prompt_length(self, wrapped: Wrapped) -> int | None:
        """Virtual tokens of a wrapped model's prompt (None for methods without one)."""
        return None

    def resize_prompt(self, wrapped: Wrapped, length: int, cfg: Any) -> None:
        """Grow (or cut back) the prompt to ``length`` tokens, keeping the trained rows.

        New rows start the way this method starts a fresh prompt; only prompt methods have it.
        """
        raise ConfigError(
            say("{method} has no prompt to resize; growth needs a prompt method",
                method=self.said_title)
        )  # fmt: skip

    def place(self, wrapped: Wrapped, device: torch.device) -> None:
        """Move what the wrapped model keeps outside its parameters and buffers to ``device``,
        once it is there (nothing for most methods)."""

    def trainable_state(self, wrapped: Wrapped) -> dict[str, torch.Tensor]:
        """Every trainable tensor, for a resumable checkpoint."""
        return {
            n: p.detach().clone().contiguous()
            for n, p in wrapped.named_parameters()
            if p.requires_grad
        }

    def load_trainable_state(self, wrapped: Wrapped, state: dict[str, torch.Tensor]) -> None:
        own = dict(wrapped.named_parameters())
        # Head modules a family adds (HEAD_EXTRAS) are absent from adapters saved before they
        # were trained: those keep the base's values, as they had when that adapter trained.
        extras = [f".{name}." for name in head_extras(getattr(wrapped, "config", None))]
        missing = [
            n
            for n, p in own.items()
            if p.requires_grad and n not in state and not any(e in f".{n}" for e in extras)
        ]
        if missing:
            raise AdapterLoadError(
                say("saved weights lack {count} tensors, e.g. {name}", count=len(missing),
                    name=missing[0])
            )  # fmt: skip
        for name, tensor in state.items():
            # A fresh tensor, not an in-place copy: the frozen weights of a model built around
            # shared base tensors (see core.analysis.predict) must never be written through.
            # It stays on the parameter's device (saved tensors load on the CPU; the model may
            # be on a GPU already) and keeps its dtype.
            param = own[name]
            param.data = tensor.to(device=param.device, dtype=param.dtype, copy=True)

    def save(self, wrapped: Wrapped, folder: Path) -> None:
        save_file(self.trainable_state(wrapped), str(folder / WEIGHTS_FILE))

    def load(self, model: PreTrainedModel | None, folder: Path, cfg: Any) -> Wrapped:
        """The trained model saved in ``folder``, built around the base classifier ``model``
        (None for a :attr:`whole_model` method, whose folder holds the whole model)."""
        if model is None:
            raise TypeError(f"{self.name} needs the base classifier to load its adapter")
        wrapped = self.wrap(model, cfg)
        path = folder / WEIGHTS_FILE
        if not path.is_file():
            raise AdapterLoadError(say("{folder} has no {file}", folder=folder, file=WEIGHTS_FILE))
        self.load_trainable_state(wrapped, load_file(str(path)))
        wrapped.requires_grad_(False)
        return wrapped.eval()


def freeze(model: nn.Module) -> None:
    for p in model.parameters():
        p.requires_grad_(False)


HEAD_EXTRAS: dict[str, tuple[str, ...]] = {
    # Released DeBERTa-v3 checkpoints hold no pooler, and sentence-embedding ModernBERT folders
    # no prediction head: the classifier starts them at random, so they must be trained and
    # saved with it, or a reload would start them at other random values.
    "deberta-v2": ("pooler",),
    "modernbert": ("head",),
    # distilbert-base checkpoints hold no pre_classifier layer either.
    "distilbert": ("pre_classifier",),
}
"""Modules besides ``classifier`` that a family's classifier adds on top of the encoder."""


def head_extras(model_config: Any) -> list[str]:
    """Names of the modules in :data:`HEAD_EXTRAS` for this model's family."""
    return list(HEAD_EXTRAS.get(getattr(model_config, "model_type", ""), ()))


def train_head(model: nn.Module) -> None:
    """Make the task head trainable: the classifier and the fresh modules feeding it."""
    classifier_head(model).requires_grad_(True)
    for name in head_extras(model.config):
        getattr(model, name).requires_grad_(True)


def classifier_head(model: nn.Module) -> nn.Module:
    """The task head that a fresh classifier adds on top of the encoder."""
    for name in ("classifier", "score"):
        head = getattr(model, name, None)
        if head is not None:
            return head
    raise AdapterLoadError(say("{model} has no classifier head", model=type(model).__name__))


def count_parameters(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts, each tensor counted once."""
    seen: dict[int, tuple[int, bool]] = {}
    for p in model.parameters():
        seen[id(p)] = (p.numel(), p.requires_grad)
    total = sum(n for n, _ in seen.values())
    trainable = sum(n for n, t in seen.values() if t)
    return trainable, total


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
