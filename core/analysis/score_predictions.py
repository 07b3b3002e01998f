"""The diagnosis of a run that predicts a score (regression): the figures of
:mod:`core.analysis.mistakes` for numbers, predicted against true and the largest errors."""

from __future__ import annotations

from typing import Any

from core.tasks.regression import correlation

RunPredictions = Any
"""A :class:`core.analysis.mistakes.RunPredictions` of a score's run (named here without
importing it: that module imports this one)."""


def score_points(preds: RunPredictions) -> dict[str, Any]:
    """``{truth, predicted}``: each row's true and predicted score, for a scatter plot."""
    return {"truth": list(preds.truth), "predicted": list(preds.predicted), "labels": []}


def score_summary(preds: RunPredictions) -> dict[str, Any]:
    """Rows looked at, of how many, and MSE, MAE, Pearson and Spearman over them."""
    errors = [p - t for p, t in zip(preds.predicted, preds.truth, strict=True)]
    rows = len(errors)
    return {
        "rows": rows,
        "validation_rows": preds.validation_rows,
        "wrong": None,
        "accuracy": None,
        "mse": sum(e * e for e in errors) / rows if rows else None,
        "mae": sum(abs(e) for e in errors) / rows if rows else None,
        "pearson": correlation("pearson", preds.predicted, preds.truth),
        "spearman": correlation("spearman", preds.predicted, preds.truth),
    }


def largest_errors(preds: RunPredictions) -> list[dict[str, Any]]:
    """Every row, the largest error first (ties in row order): ``{row, text, true, predicted,
    confidence}``, ``confidence`` holding the error's size."""
    rows = [
        {
            "row": i,
            "text": preds.texts[i],
            "true": f"{preds.truth[i]:.3f}",
            "predicted": f"{preds.predicted[i]:.3f}",
            "confidence": abs(preds.predicted[i] - preds.truth[i]),
        }
        for i in range(len(preds))
    ]
    return sorted(rows, key=lambda row: (-row["confidence"], row["row"]))


def score_disagreements(first: RunPredictions, second: RunPredictions) -> list[dict[str, Any]]:
    """Every row, where the two runs' scores differ most first; each run's confidence field
    holds its error's size."""
    rows = []
    for i, text in enumerate(first.texts):
        a, b, truth = first.predicted[i], second.predicted[i], first.truth[i]
        rows.append({
            "row": i, "text": text, "true": f"{truth:.3f}",
            "first": f"{a:.3f}", "first_confidence": abs(a - truth),
            "second": f"{b:.3f}", "second_confidence": abs(b - truth),
            "gap": abs(a - b),
        })  # fmt: skip
    return sorted(rows, key=lambda r: (-r["gap"], r["row"]))
