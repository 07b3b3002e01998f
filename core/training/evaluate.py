"""Evaluation: loss, accuracy, macro-F1 and the confusion matrix on a labelled split."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from torch import nn
from torch.nn import functional as F

from core.data.batching import iterate, sorted_batches


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    features: Sequence[dict[str, list[int]]],
    batch_size: int,
    pad_id: int,
    device: torch.device | str = "cpu",
    autocast: Callable[[], AbstractContextManager] | None = None,
) -> torch.Tensor:
    """Logits in input order, computed in length-sorted batches.

    ``autocast`` makes a fresh mixed-precision context per batch (contexts are single-use).
    """
    was_training = model.training
    model.eval()
    out = torch.empty(0)
    rows: list[tuple[list[int], torch.Tensor]] = []
    for indices, batch in iterate(features, sorted_batches(_lengths(features), batch_size), pad_id):
        batch = {k: v.to(device) for k, v in batch.items()}
        with autocast() if autocast else nullcontext():
            logits = model(**batch).logits
        rows.append((indices, logits.float().cpu()))
    model.train(was_training)
    if rows:
        out = torch.empty(len(features), rows[0][1].shape[-1])
        for indices, logits in rows:
            out[indices] = logits
    return out


def _lengths(features: Sequence[dict[str, list[int]]]) -> list[int]:
    return [len(f["input_ids"]) for f in features]


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
