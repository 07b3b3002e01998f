"""The optimizer and learning-rate schedule over a model's trainable tensors."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def adamw(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over the trainable tensors; biases and norms (1-D tensors) get no weight decay."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=lr,
    )


def lr_schedule(
    optimizer: torch.optim.Optimizer, factor: Callable[[int], float], start: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """The schedule ``lr * factor(step)`` positioned at step ``start``.

    The scheduler counts its own steps from zero; adding ``start`` makes the factor a function
    of the run's absolute step, so a schedule built mid-run needs no state of the old one.
    """
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda i: factor(i + start))
