"""A score per row (regression): one text, or a pair of texts, and a number to predict.

``auto`` finds it in a label column of measurements (many distinct numbers with fractions,
:func:`core.data.columns.looks_continuous`; a column named ``score``, ``similarity`` or ``value``
is read when none is named like labels); a score of whole numbers (a 1-5 rating read as a number)
is chosen by name (``--task regression``). Its inputs are told from the columns as for
classification: two text columns named like a pair (``sentence1``/``sentence2``, as in STS-B)
or a given ``text_pair_column`` make it a pair of texts, stored in the adapter folder
(``"inputs"``) so that predictions ask for the same. The model has one output, trained with
mean-squared error; metrics are MSE, MAE, Pearson and Spearman correlation (Pearson ranks runs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.messages import say
from core.tasks import pair as pair_task
from core.tasks.base import Detection, Encoded, Task
from core.tasks.single_label import TASK as ONE_TEXT

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase


def correlation(kind: str, predicted: Sequence[float], truth: Sequence[float]) -> float:
    """Pearson or Spearman correlation; 0 where it is undefined (a constant column)."""
    from scipy.stats import pearsonr, spearmanr

    if len(truth) < 2 or len(set(predicted)) < 2 or len(set(truth)) < 2:
        return 0.0
    value = (pearsonr if kind == "pearson" else spearmanr)(predicted, truth)[0]
    return 0.0 if math.isnan(float(value)) else float(value)


class Regression(Task):
    name = "regression"
    title = "A score (regression)"
    help = (
        "Predict a number for each text or pair of texts (a similarity from 0 to 5, a rating): "
        "one output trained with mean-squared error."
    )
    few_shot_unit = "n"
    inputs: tuple[str, ...] = ("text",)
    label_kind = "number"
    problem_type = "regression"
    best_metric = "eval_pearson"
    score_name = say("Pearson")
    detected_by_columns = False
    auto_detected = False
    reads_pairs = True

    def detect(
        self, columns: Sequence[str], text_column: str | None, text_pair_column: str | None
    ) -> Detection | None:
        found = pair_task.TASK.detect(columns, text_column, text_pair_column)
        if found is not None:
            return Detection(self.name, found.reason, found.text_column, found.text_pair_column)
        one = ONE_TEXT.detect(columns, text_column, None)
        return None if one is None else Detection(self.name, one.reason, one.text_column)

    def detect_labels(self, values: Sequence[Any], column: str) -> str | None:
        from core.data.columns import is_missing, looks_continuous

        keys = [str(v).strip() for v in values if not is_missing(v) and str(v).strip()]
        if not looks_continuous(keys):
            return None
        distinct = list(dict.fromkeys(keys))
        return say(
            "the label column '{column}' holds {distinct:,} distinct numbers such as {examples}: "
            "a score to predict",
            column=column,
            distinct=len(distinct),
            examples=", ".join(distinct[:3]),
        )

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        if rows and isinstance(rows[0], tuple):
            return pair_task.TASK.encode(tokenizer, rows, max_length)
        return ONE_TEXT.encode(tokenizer, rows, max_length)

    def row(self, values: dict[str, Any]) -> Any:
        return ONE_TEXT.row(values)

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        return ONE_TEXT.rows(rows)

    def for_inputs(self, inputs: Sequence[str] | None) -> Task:
        return PAIRS if inputs and "text_pair" in inputs else self

    # ------------------------------------------------------------------ outputs
    def targets(self, labels: Sequence[Any], num_labels: int) -> torch.Tensor:
        import torch

        return torch.tensor([float(v) for v in labels], dtype=torch.float32)

    def loss(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        from torch.nn import functional as F

        return F.mse_loss(logits.squeeze(-1), targets)

    def initial_bias(self, labels: Sequence[Any], num_labels: int) -> list[float] | None:
        """The mean training score: a fresh head starts there, not at 0."""
        values = [float(v) for v in labels]
        return [sum(values) / len(values)] if values else None

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return logits.float()

    def metrics(
        self,
        logits: torch.Tensor,
        labels: Sequence[Any],
        label_names: Sequence[str],
        prefix: str = "eval",
        calibration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        predicted = logits.float().reshape(-1).tolist()
        truth = [float(v) for v in labels]
        errors = [p - t for p, t in zip(predicted, truth, strict=True)]
        mse = sum(e * e for e in errors) / len(errors) if errors else 0.0
        return {
            f"{prefix}_loss": mse,
            f"{prefix}_mse": mse,
            f"{prefix}_mae": sum(abs(e) for e in errors) / len(errors) if errors else 0.0,
            f"{prefix}_pearson": correlation("pearson", predicted, truth),
            f"{prefix}_spearman": correlation("spearman", predicted, truth),
        }

    def present(
        self, probabilities: Sequence[float], label_names: Sequence[str], meta: dict[str, Any]
    ) -> dict[str, Any]:
        value = float(probabilities[0])
        return {"label": f"{value:.3f}", "score": value}


class PairRegression(Regression):
    """A score of a pair of texts: predictions take both texts, as the pair task's do."""

    inputs = ("text", "text_pair")

    def row(self, values: dict[str, Any]) -> Any:
        return pair_task.TASK.row(values)

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        return pair_task.TASK.rows(rows)

    def display(self, row: Any) -> str:
        return pair_task.TASK.display(row)


TASK = Regression()
PAIRS = PairRegression()
"""The task of an adapter that scores pairs of texts (its folder's ``"inputs"``)."""
