"""The diagnosis of a run with several labels per text: its rows' label sets as the run
predicts them at its thresholds, and the figures of :mod:`core.analysis.mistakes` for sets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from core.tasks.metrics import multi_hot
from core.tasks.multi_label import thresholds_of


def predicted_sets(
    probs: torch.Tensor, truth: Sequence[tuple[int, ...]], meta: dict[str, Any],
    label_names: Sequence[str],
) -> tuple[list[tuple[int, ...]], list[float]]:  # fmt: skip
    """Each row's predicted label ids (at or above their thresholds) and its confidence: the
    probability it gave its surest wrong decision (a label given: its probability; a label
    missed: one minus it), or its surest right one when the row is all right."""
    thresholds = np.asarray(thresholds_of(meta, label_names), dtype=np.float32)
    p = probs.float().numpy()
    chosen = p >= thresholds
    sure = np.where(chosen, p, 1.0 - p)
    wrong = chosen != multi_hot(truth, len(label_names)).astype(bool)
    confidence = np.where(wrong.any(axis=1), np.where(wrong, sure, 0.0).max(axis=1), sure.max(1))
    predicted = [tuple(np.flatnonzero(row).tolist()) for row in chosen]
    return predicted, confidence.tolist()


def set_confusion(
    truth: Sequence[tuple[int, ...]], predicted: Sequence[tuple[int, ...]], labels: int
) -> np.ndarray:
    """Rows: true labels, columns: predicted labels; a cell counts the rows that carry the row's
    label and were given the column's (the diagonal: labels found)."""
    return multi_hot(truth, labels).T @ multi_hot(predicted, labels)


def set_per_label(
    truth: Sequence[tuple[int, ...]], predicted: Sequence[tuple[int, ...]], labels: int
) -> tuple[Any, Any, Any, Any]:
    """Precision, recall, F1 and support of each label, decided on its own."""
    from sklearn.metrics import precision_recall_fscore_support

    return precision_recall_fscore_support(
        multi_hot(truth, labels), multi_hot(predicted, labels), average=None, zero_division=0
    )
