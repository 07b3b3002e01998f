"""Evaluation: logits of a split in input order (the metrics are the task's, :mod:`core.tasks`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import nn

from core.data.batching import Tokens, iterate, sorted_batches, to_device
from core.tasks.metrics import classification_metrics

__all__ = ["classification_metrics", "predict_logits"]


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    features: Tokens,
    batch_size: int,
    pad_id: int,
    device: torch.device | str = "cpu",
    autocast: Callable[[], AbstractContextManager] | None = None,
) -> torch.Tensor:
    """Logits in input order, computed in length-sorted batches.

    ``autocast`` makes a fresh mixed-precision context per batch (contexts are single-use).
    The logits stay on the device until the last batch, then come back in one copy: the host
    does not wait for the device after every batch.
    """
    was_training = model.training
    if was_training:  # setting the mode walks every module: a cost per call, so only on change
        model.eval()
    order: list[int] = []
    parts: list[torch.Tensor] = []
    batches = sorted_batches(features.lengths.tolist(), batch_size)
    for indices, batch in iterate(features, batches, pad_id):
        batch = to_device(batch, torch.device(device))
        with autocast() if autocast else nullcontext():
            logits = model(**batch).logits
        order += indices
        parts.append(logits.float())
    if was_training:
        model.train()
    if not parts:
        return torch.empty(0)
    sorted_logits = torch.cat(parts).cpu()
    out = torch.empty_like(sorted_logits)
    out[torch.tensor(order)] = sorted_logits
    return out
