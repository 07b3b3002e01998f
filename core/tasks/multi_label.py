"""Several labels per text (multi-label): each label is a yes/no of its own.

The model has one output per label, read through a sigmoid and trained with binary
cross-entropy. A row's labels are a set of label ids (a tuple, sorted). Once trained, each
label's decision threshold is chosen on the validation rows (the best F1 of that label) and
stored in the adapter folder (``"thresholds"``); a prediction names every label at or above its
threshold. Metrics: exact-match accuracy (``*_accuracy``: every label of the row right), macro-F1
(``*_f1``, the run's best metric), micro-F1 and per-label precision, recall and F1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.messages import say
from core.tasks.metrics import (
    DEFAULT_THRESHOLD,
    best_thresholds,
    cross_fitted_thresholds,
    multi_label_metrics,
)
from core.tasks.single_label import SingleLabel

if TYPE_CHECKING:
    import torch

MIN_HALF_ROWS = 2
"""Fewer validation rows than twice this are judged at the thresholds chosen on all of them."""

SEPARATORS = (",", ";", "|")
"""What joins several labels in one cell of a CSV/TSV file (``0,15``, ``joy;love``)."""


def is_list(value: Any) -> bool:
    """Whether a label cell holds several labels as a list (JSONL ``["a", "b"]``)."""
    import numpy as np

    return isinstance(value, (list, tuple, set, np.ndarray))


def joined(value: Any) -> str | None:
    """The separator of a cell holding labels joined by one (``0,15``), else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    for sep in SEPARATORS:
        parts = [p.strip() for p in text.split(sep)]
        if len(parts) > 1 and all(parts):
            return sep
    return None


def thresholds_of(meta: dict[str, Any], label_names: Sequence[str]) -> list[float]:
    """The adapter's threshold per label (0.5 where it stores none)."""
    stored = meta.get("thresholds") or {}
    return [float(stored.get(name, DEFAULT_THRESHOLD)) for name in label_names]


class MultiLabel(SingleLabel):
    name = "multi_label"
    title = "Several labels per text"
    help = (
        "Each text may carry several labels, or none (emotions, topics, tags): one yes/no per "
        "label, each decided at its own threshold chosen on validation."
    )
    few_shot_unit = "label"
    label_kind = "set"
    problem_type = "multi_label_classification"
    best_metric = "eval_f1"
    score_name = say("macro-F1")
    detected_by_columns = False
    calibrated = True

    def detect_labels(self, values: Sequence[Any], column: str) -> str | None:
        for value in values:
            if is_list(value):
                return say("the label column '{column}' holds lists of labels", column=column)
        for value in values:
            if joined(value):
                return say(
                    "the label column '{column}' holds several labels per row, joined as in "
                    "'{example}'",
                    column=column,
                    example=str(value).strip(),
                )
        return None

    def targets(self, labels: Sequence[Any], num_labels: int) -> torch.Tensor:
        import torch

        out = torch.zeros(len(labels), num_labels)
        for row, ids in enumerate(labels):
            out[row, list(ids)] = 1.0
        return out

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.binary_cross_entropy_with_logits(logits, targets)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.float().sigmoid()

    def metrics(
        self,
        logits: torch.Tensor,
        labels: Sequence[Any],
        label_names: Sequence[str],
        prefix: str = "eval",
        calibration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        thresholds = thresholds_of(calibration or {}, label_names)
        return multi_label_metrics(logits, labels, label_names, thresholds, prefix)

    def calibrate(
        self, logits: torch.Tensor, labels: Sequence[Any], label_names: Sequence[str]
    ) -> dict[str, Any]:
        chosen = best_thresholds(logits, labels, len(label_names))
        return {"thresholds": dict(zip(label_names, chosen, strict=True))}

    def initial_bias(self, labels: Sequence[Any], num_labels: int) -> list[float] | None:
        """Each label's log-odds in the training rows (smoothed): a fresh head starts where
        sigmoid gives each label its frequency, not 0.5 for all, which a method with a small
        learning rate would spend its run unlearning."""
        counts = [0] * num_labels
        for ids in labels:
            for i in ids:
                counts[i] += 1
        rows = len(labels) + 1
        return [math.log((n + 0.5) / (rows - n - 0.5)) for n in counts]

    def calibrated_metrics(
        self, logits: torch.Tensor, labels: Sequence[Any], label_names: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The thresholds chosen on all the validation rows, and the rows' metrics with each
        half (alternate rows) judged at thresholds chosen on the other half: figures a person
        can expect on new text, not the optimistic ones of thresholds fitted to the very rows
        they score. The per-label thresholds shown are the chosen ones."""
        chosen = self.calibrate(logits, labels, label_names)
        thresholds = [chosen["thresholds"][name] for name in label_names]
        if len(labels) < 2 * MIN_HALF_ROWS:
            return chosen, self.metrics(logits, labels, label_names, "eval", chosen)
        return chosen, multi_label_metrics(
            logits, labels, label_names, cross_fitted_thresholds(logits, labels, len(label_names)),
            "eval", shown=thresholds,
        )  # fmt: skip

    def present(
        self, probabilities: Sequence[float], label_names: Sequence[str], meta: dict[str, Any]
    ) -> dict[str, Any]:
        thresholds = thresholds_of(meta, label_names)
        chosen = [
            n for n, p, t in zip(label_names, probabilities, thresholds, strict=True) if p >= t
        ]
        return {
            "label": ", ".join(chosen),
            "labels": chosen,
            "score": max(probabilities) if len(probabilities) else 0.0,
            "probabilities": dict(zip(label_names, probabilities, strict=True)),
            "thresholds": dict(zip(label_names, thresholds, strict=True)),
        }


TASK = MultiLabel()
