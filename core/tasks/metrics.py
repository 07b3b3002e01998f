"""Metrics of each output kind: one class per row, and a set of labels per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from torch.nn import functional as F


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


def multi_hot(labels: Sequence[Sequence[int]], num_labels: int) -> np.ndarray:
    """Rows of label-id sets as a 0/1 matrix (rows x labels)."""
    out = np.zeros((len(labels), num_labels), dtype=np.int64)
    for row, ids in enumerate(labels):
        out[row, list(ids)] = 1
    return out


def multi_label_metrics(
    logits: torch.Tensor,
    labels: Sequence[Sequence[int]],
    label_names: Sequence[str],
    thresholds: Sequence[float] | np.ndarray,
    prefix: str = "eval",
    shown: Sequence[float] | None = None,
) -> dict[str, Any]:
    """Binary cross-entropy, exact-match accuracy (every label of the row right), micro- and
    macro-F1 and each label's precision, recall, F1 and support, deciding each label at its
    threshold (one per label, or one per row and label); ``shown`` are the thresholds each
    label's entry names (default: ``thresholds``)."""
    truth = multi_hot(labels, len(label_names))
    probs = logits.float().sigmoid().numpy()
    predicted = (probs >= np.asarray(thresholds, dtype=np.float32)).astype(np.int64)
    loss = F.binary_cross_entropy_with_logits(logits.float(), torch.tensor(truth).float())
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, average=None, zero_division=0
    )
    per_label = {
        name: {
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
            "threshold": float((thresholds if shown is None else shown)[i]),
        }
        for i, name in enumerate(label_names)
    }
    return {
        f"{prefix}_loss": float(loss),
        f"{prefix}_accuracy": float((predicted == truth).all(axis=1).mean()) if len(truth) else 0.0,
        f"{prefix}_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        f"{prefix}_micro_f1": float(f1_score(truth, predicted, average="micro", zero_division=0)),
        f"{prefix}_per_label": per_label,
    }


THRESHOLD_GRID = tuple(round(0.05 * i, 2) for i in range(1, 20))
"""Thresholds tried per label on validation: 0.05, 0.10, ..., 0.95."""
DEFAULT_THRESHOLD = 0.5
MIN_POSITIVES = 5
"""Rows a label must occur in for its threshold to be chosen on them."""


def best_thresholds(
    logits: torch.Tensor, labels: Sequence[Sequence[int]], num_labels: int
) -> list[float]:
    """Each label's threshold with the best F1 on these rows (the grid's lowest of equals);
    0.5 for a label that occurs in fewer than :data:`MIN_POSITIVES` of them, where a chosen
    threshold would fit those few rows rather than the label."""
    truth = multi_hot(labels, num_labels)
    probs = logits.float().sigmoid().numpy()
    chosen = []
    for i in range(num_labels):
        positives = truth[:, i].sum()
        if positives < MIN_POSITIVES:
            chosen.append(DEFAULT_THRESHOLD)
            continue
        scores = []
        for t in THRESHOLD_GRID:
            hit = probs[:, i] >= t
            tp = float((hit & (truth[:, i] == 1)).sum())
            scores.append(2 * tp / (hit.sum() + positives))
        chosen.append(THRESHOLD_GRID[int(np.argmax(scores))])
    return chosen


def cross_fitted_thresholds(
    logits: torch.Tensor, labels: Sequence[Sequence[int]], num_labels: int
) -> np.ndarray:
    """Thresholds per row and label: the even rows' chosen on the odd rows
    (:func:`best_thresholds`) and the odd rows' on the even rows."""
    rows = np.arange(len(labels))
    out = np.empty((len(labels), num_labels), dtype=np.float32)
    for judged, chooser in ((rows % 2 == 0, rows % 2 == 1), (rows % 2 == 1, rows % 2 == 0)):
        picked = np.flatnonzero(chooser)
        chosen = best_thresholds(logits[torch.from_numpy(picked)],
                                 [labels[int(i)] for i in picked], num_labels)  # fmt: skip
        out[judged] = np.asarray(chosen, dtype=np.float32)
    return out


def class_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of one class per row."""
    return F.cross_entropy(logits, targets)
