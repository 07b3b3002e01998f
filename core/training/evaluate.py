"""Evaluation: loss, accuracy, macro-F1 and the confusion matrix on a labelled split."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from torch import nn
from torch.nn import functional as F

from core.data.batching import Tokens, iterate, sorted_batches, to_device


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


def classification_metrics(
    logits: torch.Tensor, labels: Sequence[int], num_labels: int, prefix: str = "eval"
) -> dict[str, float | list[list[int]]]:
    """Loss, accuracy, macro-F1 and confusion matrix (rows: true label, columns: predicted)."""
    target = torch.tensor(list(labels), dtype=torch.long)
    predicted = logits.argmax(-1).tolist()
    label_ids = list(range(num_labels))
    return {
        f"{prefix}_loss": float(F.cross_entropy(logits, target)),
        f"{prefix}_accuracy": float(accuracy_score(labels, predicted)),
        f"{prefix}_f1": float(
            f1_score(labels, predicted, labels=label_ids, average="macro", zero_division=0)
        ),
        f"{prefix}_confusion_matrix": confusion_matrix(
            labels, predicted, labels=label_ids
        ).tolist(),
    }
