"""What every task type declares: its facts, how it finds itself in a table, how it encodes rows.

A task type (one text and one label, a pair of texts, several labels per text, ...) is one
module of :mod:`core.tasks` holding one :class:`Task`. The data loader asks each registered task
whether a table's columns look like it (:meth:`Task.detect`) or its label values do
(:meth:`Task.detect_labels`), the tokenizer encodes a task's rows with :meth:`Task.encode`, and
the trainer, the predictor and every view ask the task for what depends on its output kind:
the label tensors (:meth:`Task.targets`), the loss (:meth:`Task.loss`), the metrics
(:meth:`Task.metrics`, ranked by :attr:`Task.best_metric`), what is tuned on validation once
trained (:meth:`Task.calibrate`) and how one prediction reads (:meth:`Task.present`). The
defaults are those of one label per row (softmax, cross-entropy), so a new task type is a new
module overriding what differs, not a change across the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.messages import say

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

Encoded = tuple[list[list[int]], list[list[int]] | None]
"""Token ids per row, and type ids per row when the model takes them."""


@dataclass(frozen=True)
class Detection:
    """A task type found in a table: its name, the text columns it reads and why it was chosen
    (a sentence for a person, e.g. "two text columns named premise and hypothesis")."""

    task: str
    reason: str
    text_column: str | None = None
    text_pair_column: str | None = None


class Task:
    """One task type. Subclasses set the class attributes and override what differs."""

    name: str = ""
    title: str = ""
    help: str = ""
    few_shot_unit: str = "class"
    """What a few-shot sample counts: k rows per "class", per "label" or "n" rows in all."""
    inputs: tuple[str, ...] = ("text",)
    """The texts one row holds, as the HTTP API and batch files name them."""
    label_kind: str = "class"
    """What one row's label is: one "class" id, a "set" of class ids (several labels) or a
    "number" (a score)."""
    problem_type: str = "single_label_classification"
    """The Hugging Face ``config.problem_type`` of an exported model of this task."""
    best_metric: str = "eval_accuracy"
    """The metric (higher is better) that keeps the best weights, stops early, ranks sweeps,
    few-shot curves and compared runs."""
    score_name: str = say("accuracy")
    """:attr:`best_metric`'s short name for a person ("accuracy", "macro-F1", ...), as the
    views name the score a run is judged by."""
    auto_detected: bool = True
    """Whether ``auto`` can find this task in data; one that cannot (a score) is only chosen by
    name, so a view reading a second dataset for such a run reads it as this task."""
    calibrated: bool = False
    """Whether :meth:`calibrate` chooses something on the validation rows once trained."""
    reads_pairs: bool = False
    """Whether a row may also hold a pair of texts (a score of two sentences): a pair found in
    the columns keeps this task when the label values show it."""
    detected_by_columns: bool = True
    """Whether :meth:`detect` can tell this task from the column names alone; a task told by
    its label values (:meth:`detect_labels`) is only tried there, or when asked for by name."""
    tags_words: bool = False
    """Whether the task tags each word of a sentence (a tagger) instead of answering for the
    whole row: it predicts words, tags and entities, is measured on other data by words tagged
    right and entity F1, exports as a token classifier, reads no second text and has no
    word attributions ("Why?")."""

    def detect(
        self, columns: Sequence[str], text_column: str | None, text_pair_column: str | None
    ) -> Detection | None:
        """This task when a table with ``columns`` looks like it, with the reason; else None."""
        return None

    def detect_source(self, source: Path) -> Detection | None:
        """This task when the file or folder ``source`` itself shows it (a CoNLL file is
        tagged words, whatever its columns), with the reason; else None (told from columns)."""
        return None

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        """Token ids (and type ids) of ``rows``, truncated to ``max_length`` tokens."""
        raise NotImplementedError

    def row(self, values: dict[str, Any]) -> Any:
        """One row as this task's encoder takes it, from named inputs (``{"text": ...}``)."""
        raise NotImplementedError

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        """``rows`` given for prediction, checked and in the shape :meth:`encode` takes.

        Raises:
            InputError: a row of the wrong shape (a pair given to a one-text task, ...).
        """
        raise NotImplementedError

    def display(self, row: Any) -> str:
        """One row as a single line of text for tables and reports."""
        return str(row)

    def for_inputs(self, inputs: Sequence[str] | None) -> Task:
        """This task for an adapter trained on ``inputs`` (its folder's ``"inputs"``): a task
        whose inputs are told from the columns (a score of one text or of a pair) answers its
        pair variant; others are themselves."""
        return self

    def detect_labels(self, values: Sequence[Any], column: str) -> str | None:
        """The reason (a sentence) when the label ``column``'s ``values`` show this task."""
        return None

    # ------------------------------------------------------------------ outputs
    def targets(self, labels: Sequence[Any], num_labels: int) -> torch.Tensor:
        """The label tensor of a batch of rows' labels, as :meth:`loss` takes it."""
        import torch

        return torch.tensor(list(labels), dtype=torch.long)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The training loss of a batch (``logits`` in fp32)."""
        from core.tasks import metrics

        return metrics.class_loss(logits, targets)

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        """Each row's probability per label."""
        return logits.float().softmax(-1)

    def metrics(
        self,
        logits: torch.Tensor,
        labels: Sequence[Any],
        label_names: Sequence[str],
        prefix: str = "eval",
        calibration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Metrics of ``logits`` against ``labels``, keyed ``{prefix}_<name>``; they include
        ``{prefix}_loss``, and the name of :attr:`best_metric` with ``prefix`` for it."""
        from core.tasks import metrics

        return metrics.classification_metrics(logits, labels, len(label_names), prefix)

    def calibrate(
        self, logits: torch.Tensor, labels: Sequence[Any], label_names: Sequence[str]
    ) -> dict[str, Any]:
        """What is chosen on the validation rows once trained (stored in the adapter folder
        and given back to :meth:`metrics` and :meth:`present`); nothing by default."""
        return {}

    def initial_bias(self, labels: Sequence[Any], num_labels: int) -> list[float] | None:
        """Where the head's outputs start, from the training ``labels`` (their base rate), or
        None to keep the model's own start (a class per row: balanced enough for it)."""
        return None

    def calibrated_metrics(
        self, logits: torch.Tensor, labels: Sequence[Any], label_names: Sequence[str]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """What :meth:`calibrate` chooses on these validation rows, and their ``eval`` metrics
        judged fairly: a task that chooses something overrides this so that no row is judged
        by a choice made on that row itself."""
        chosen = self.calibrate(logits, labels, label_names)
        return chosen, self.metrics(logits, labels, label_names, "eval", chosen)

    def present(
        self, probabilities: Sequence[float], label_names: Sequence[str], meta: dict[str, Any]
    ) -> dict[str, Any]:
        """One prediction: ``label`` (the answer as one line), ``score`` (its confidence) and
        ``probabilities`` per label name; ``meta`` is the adapter folder's metadata."""
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return {
            "label": label_names[best],
            "score": probabilities[best],
            "probabilities": dict(zip(label_names, probabilities, strict=True)),
        }
