"""P-Tuning v2 (Liu et al. 2022): a learned key/value prefix of P tokens at every layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core import deep_prompt
from core.config import ConfigBase, param
from core.methods.base import Method, classifier_head, freeze


@dataclass
class PTuningV2Settings(ConfigBase):
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
    prefix_dropout: float = param(
        0.1,
        "Dropout on the prefix keys/values while training.",
        min=0.0,
        max=0.9,
        label="Prefix dropout",
        advanced=True,
    )


class DeepPromptModel(nn.Module):
    """A frozen classifier with a trainable deep prompt; ``forward`` matches the model's."""

    def __init__(self, model: nn.Module, cfg: PTuningV2Settings) -> None:
        super().__init__()
        self.model = model
        c = model.config
        self.layers = deep_prompt.attach(model)
        self.heads = int(c.num_attention_heads)
        self.head_dim = int(c.hidden_size) // self.heads
        self.length = cfg.num_virtual_tokens
        self.dropout = nn.Dropout(cfg.prefix_dropout)
        shape = (self.layers * 2, self.heads, self.length, self.head_dim)
        self.prefix = nn.Parameter(self._activation_init(shape))
        if cfg.prefix_projection:
            # Reparameterisation as a residual on top of the prefix: the last layer starts at
            # zero, so training begins from the same in-distribution prefix either way.
            self.tokens = nn.Parameter(torch.randn(self.length, c.hidden_size) * 0.02)
            self.projection = nn.Sequential(
                nn.Linear(c.hidden_size, cfg.projection_hidden_size),
                nn.Tanh(),
                nn.Linear(cfg.projection_hidden_size, self.layers * 2 * c.hidden_size),
            )
            nn.init.zeros_(self.projection[-1].weight)
            nn.init.zeros_(self.projection[-1].bias)

    @property
    def config(self) -> Any:
        return self.model.config

    @torch.no_grad()
    def _activation_init(self, shape: tuple[int, ...]) -> torch.Tensor:
        """Start from the keys/values the frozen model computes for random vocabulary tokens.

        The prefix then begins inside the distribution each layer expects, which keeps the
        first steps from scrambling the frozen features (a random start of unit variance can).
        """
        generator = torch.Generator().manual_seed(0)
        vocab = int(self.model.config.vocab_size)
        ids = torch.randint(
            1000 if vocab > 2000 else 1, vocab, (1, self.length), generator=generator
        )
        capture: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        was_training = self.model.training
        self.model.eval()
        self.model(input_ids=ids, ptune_capture=capture)
        self.model.train(was_training)
        keys = torch.cat([capture[i][0] for i in range(self.layers)])
        values = torch.cat([capture[i][1] for i in range(self.layers)])
        stacked = torch.stack([keys, values], dim=1)  # layers, 2, heads, P, head_dim
        return stacked.reshape(shape).float().clone()

    def prefix_kv(self) -> deep_prompt.Prefix:
        prefix = self.prefix
        if hasattr(self, "projection"):
            flat = self.projection(self.tokens)  # P, layers*2*hidden
            flat = flat.view(self.length, self.layers * 2, self.heads, self.head_dim)
            prefix = prefix + flat.permute(1, 2, 0, 3)
        prefix = self.dropout(prefix).unsqueeze(1)  # layers*2, 1, heads, P, head_dim
        return tuple((prefix[2 * i], prefix[2 * i + 1]) for i in range(self.layers))

    def forward(self, **inputs: Any) -> Any:
        return self.model(**inputs, ptune_prefix=self.prefix_kv())


class PTuningV2(Method):
    name = "ptuning_v2"
    title = "P-Tuning v2"
    summary = "Deep prompts: a trainable key/value prefix at every layer; strong and small."
    config_cls = PTuningV2Settings
    default_lr = 1e-2
    default_epochs = 30

    def wrap(self, model: nn.Module, cfg: PTuningV2Settings) -> nn.Module:
        freeze(model)
        wrapped = DeepPromptModel(model, cfg)
        classifier_head(model).requires_grad_(True)
        return wrapped
