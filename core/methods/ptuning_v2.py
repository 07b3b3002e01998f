"""P-Tuning v2 (Liu et al. 2022): a learned key/value prefix of P tokens at every layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel

from core.config import Problem, param
from core.errors import AdapterLoadError, ConfigError
from core.messages import say
from core.methods import deep_prompt, deep_prompt_decoders
from core.methods.base import Method, freeze, train_head
from core.training.growth import PromptSettings


@dataclass
class PTuningV2Settings(PromptSettings):
    num_virtual_tokens: int = param(
        16,
        "Prefix length: keys/values added at every layer. Classification prefers under 20.",
        min=1,
        max=256,
        label="Prompt length",
    )
    prefix_projection: bool = param(
        False,
        "Produce the prefixes with a two-layer MLP (reparameterisation) instead of "
        "learning them directly; more parameters, sometimes steadier training.",
        label="Reparameterise with an MLP",
    )
    projection_hidden_size: int = param(
        512,
        "Hidden size of the reparameterisation MLP.",
        min=8,
        max=4096,
        label="MLP hidden size",
        advanced=True,
    )
    share_encoder: bool = param(
        False,
        "One small network produces every layer's prefix from a learned layer embedding, "
        "instead of a separate prefix per layer: far fewer trainable parameters on deep "
        "models. The prefixes start from the frozen model's own keys/values and the network "
        "learns a correction shared by all layers.",
        label="Share one prompt encoder across layers",
    )
    shared_hidden_size: int = param(
        32,
        "Width of the shared prompt encoder; its output layer (width x 2 x the model's "
        "hidden size) holds most of its parameters.",
        min=4,
        max=1024,
        label="Shared encoder width",
        advanced=True,
    )
    prefix_dropout: float = param(
        0.1,
        "Dropout on the prefix keys/values while training.",
        min=0.0,
        max=0.9,
        label="Prefix dropout",
        advanced=True,
    )

    def problems(self) -> list[Problem]:
        found = super().problems()
        if self.share_encoder and self.prefix_projection:
            message = say(
                "share_encoder and prefix_projection are two ways of producing the prefixes; "
                "turn one of them off"
            )
            found.append(self.problem("share_encoder", message))
        return found


class DeepPromptModel(nn.Module):
    """A frozen classifier with a trainable deep prompt; ``forward`` matches the model's.

    The prefix is held one of three ways: directly (``prefix``, one row per layer and token);
    as that plus an MLP correction (``prefix_projection``); or, with ``share_encoder``, as the
    frozen starting prefix (``prefix_init``, saved with the adapter but not trained) plus one
    network that maps a token embedding and a layer embedding to that layer's key and value.
    """

    prefix_init: torch.Tensor  # a buffer, registered with share_encoder only

    def __init__(self, model: PreTrainedModel, cfg: PTuningV2Settings) -> None:
        super().__init__()
        self.model = model
        c = model.config
        self.layers = deep_prompt.attach(model)
        self.causal = deep_prompt_decoders.is_decoder(c)
        self.length = cfg.num_virtual_tokens
        self.shared = cfg.share_encoder
        self.dropout = nn.Dropout(cfg.prefix_dropout)
        init = self._activation_init(self.length)
        # The heads of the keys each layer attends over: the attention heads of an encoder, the
        # key/value heads of a decoder with grouped-query attention.
        self.heads, self.head_dim = int(init.shape[1]), int(init.shape[3])
        key_width = self.heads * self.head_dim
        generator = torch.Generator().manual_seed(0)
        if self.shared:
            width = cfg.shared_hidden_size
            self.register_buffer("prefix_init", init)
            self.tokens = nn.Parameter(torch.randn(self.length, width, generator=generator))
            layers = torch.randn(self.layers, width, generator=generator)
            self.layer_embedding = nn.Parameter(layers)
            first, last = nn.Linear(width, width), nn.Linear(width, 2 * key_width)
            self.encoder = nn.Sequential(first, nn.Tanh(), last)
            nn.init.zeros_(last.weight)  # starts exactly at prefix_init
            nn.init.zeros_(last.bias)
            return
        self.prefix = nn.Parameter(init)
        if cfg.prefix_projection:
            # Reparameterisation as a residual on top of the prefix: the last layer starts at
            # zero, so training begins from the same in-distribution prefix either way.
            self.tokens = nn.Parameter(
                torch.randn(self.length, c.hidden_size, generator=generator) * 0.02
            )
            first = nn.Linear(c.hidden_size, cfg.projection_hidden_size)
            last = nn.Linear(cfg.projection_hidden_size, self.layers * 2 * key_width)
            self.projection = nn.Sequential(first, nn.Tanh(), last)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    @property
    def config(self) -> Any:
        return self.model.config

    @torch.no_grad()
    def _activation_init(self, length: int) -> torch.Tensor:
        """Start from the keys/values the frozen model computes for random vocabulary tokens.

        The prefix then begins inside the distribution each layer expects, which keeps the
        first steps from scrambling the frozen features (a random start of unit variance can).
        The tokens come from a fixed seed, so a longer prompt starts with the same tokens.
        A decoder's keys are those of positions 0..P-1, rotated where the family rotates: at
        first the prefix looks to the real tokens like a text that came before them.
        """
        generator = torch.Generator().manual_seed(0)
        vocab = int(self.model.config.vocab_size)
        ids = torch.randint(1000 if vocab > 2000 else 1, vocab, (1, length), generator=generator)
        device = next(self.model.parameters()).device
        capture: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        was_training = self.model.training
        self.model.eval()
        self.model(input_ids=ids.to(device), ptune_capture=capture, **self._call_options())
        self.model.train(was_training)
        keys = torch.cat([capture[i][0] for i in range(self.layers)])
        values = torch.cat([capture[i][1] for i in range(self.layers)])
        stacked = torch.stack([keys, values], dim=1)  # layers, 2, heads, P, head_dim
        return stacked.flatten(0, 1).float().clone()  # layers*2, heads, P, head_dim

    def _call_options(self, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        """Options of every model call, which the caller's own override.

        A decoder runs the whole text at once, so it keeps no key/value cache, and its real
        tokens are numbered 0..n-1 from the attention mask (the prefix takes no position), so
        that left padding would not shift them either.
        """
        if not self.causal:
            return {}
        options: dict[str, Any] = {"use_cache": False}
        mask = (inputs or {}).get("attention_mask")
        if mask is not None and mask.dim() == 2:
            options["position_ids"] = (mask.long().cumsum(-1) - 1).clamp(min=0)
        return options

    def prefix_kv(self) -> deep_prompt.Prefix:
        if self.shared:
            mixed = self.tokens.unsqueeze(0) + self.layer_embedding.unsqueeze(1)  # L, P, width
            flat = self.encoder(mixed).view(self.layers, self.length, 2, self.heads, -1)
            shape = (self.layers * 2, self.heads, self.length, self.head_dim)
            prefix = self.prefix_init + flat.permute(0, 2, 3, 1, 4).reshape(shape)
        else:
            prefix = self.prefix
            if hasattr(self, "projection"):
                flat = self.projection(self.tokens)  # P, layers*2*hidden
                flat = flat.view(self.length, self.layers * 2, self.heads, self.head_dim)
                prefix = prefix + flat.permute(1, 2, 0, 3)
        prefix = self.dropout(prefix).unsqueeze(1)  # layers*2, 1, heads, P, head_dim
        return tuple((prefix[2 * i], prefix[2 * i + 1]) for i in range(self.layers))

    def resize(self, length: int) -> None:
        """Change the prompt to ``length`` tokens, keeping the first rows as trained."""
        keep = min(length, self.length)
        fresh = self._activation_init(length)
        generator = torch.Generator().manual_seed(length)

        def grown(old: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
            return torch.cat([old.detach()[:, :, :keep], new[:, :, keep:].to(old)], dim=2)

        def more_tokens(old: nn.Parameter, scale: float) -> nn.Parameter:
            extra = torch.randn(length - keep, old.shape[1], generator=generator) * scale
            return nn.Parameter(torch.cat([old.detach()[:keep], extra.to(old)]))

        if self.shared:
            self.prefix_init = grown(self.prefix_init, fresh)
            self.tokens = more_tokens(self.tokens, 1.0)
        else:
            self.prefix = nn.Parameter(grown(self.prefix, fresh))
            if hasattr(self, "projection"):
                self.tokens = more_tokens(self.tokens, 0.02)
        self.length = length

    def forward(self, **inputs: Any) -> Any:
        options = self._call_options(inputs)
        return self.model(**{**options, **inputs}, ptune_prefix=self.prefix_kv())


class PTuningV2(Method[DeepPromptModel]):
    name = "ptuning_v2"
    title = "P-Tuning v2"
    summary = "Deep prompts: a trainable key/value prefix at every layer; strong and small."
    config_cls = PTuningV2Settings
    default_lr = 1e-2
    default_epochs = 30
    position = 30
    translations = {
        "zh": {
            "title": "P-Tuning v2",
            "summary": "深度提示：在每一层加入可训练的键/值前缀；效果好且体积小。",
            "merge_refusal": "它学到的键/值前缀参与每一层的注意力计算，"
            "普通的 Hugging Face 分类器没有容纳它的位置",
        }
    }
    prompt_space = "keys"
    multitask = True
    merge_refusal = say(
        "its learned key/value prefix joins the attention of every layer, and a plain Hugging "
        "Face classifier has no place for it"
    )
    typical_share = ("P-Tuning", 0.01, 0.1)

    def wrap(self, model: PreTrainedModel, cfg: PTuningV2Settings) -> DeepPromptModel:
        problems = self.model_problems(model.config)
        if problems:
            raise ConfigError(problems[0])
        freeze(model)
        wrapped = DeepPromptModel(model, cfg)
        train_head(model)
        return wrapped

    def prompt_length(self, wrapped: DeepPromptModel) -> int | None:
        return int(wrapped.length)

    def resize_prompt(self, wrapped: DeepPromptModel, length: int, cfg: PTuningV2Settings) -> None:
        wrapped.resize(length)

    def trainable_state(self, wrapped: DeepPromptModel) -> dict[str, torch.Tensor]:
        state = super().trainable_state(wrapped)
        if wrapped.shared:  # the frozen starting prefix is part of the trained prompt
            state["prefix_init"] = wrapped.prefix_init.detach().clone().contiguous()
        return state

    def load_trainable_state(
        self, wrapped: DeepPromptModel, state: dict[str, torch.Tensor]
    ) -> None:
        state = dict(state)
        init = state.pop("prefix_init", None)
        if wrapped.shared:
            if init is None:
                raise AdapterLoadError(
                    say("saved weights lack prefix_init (the shared encoder's base)")
                )
            wrapped.prefix_init = init.to(wrapped.prefix_init).clone()
        super().load_trainable_state(wrapped, state)
