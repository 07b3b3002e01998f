"""Try it's figure: each run's probability per label for one sentence; no Gradio here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from app.i18n import text
from app.shared.plots import COLORS, empty_figure


def prediction_figure(results: Sequence[Mapping[str, Any]], lang: str = "en") -> go.Figure:
    """Grouped bars: each run's probability per label.

    ``results`` holds one {"run": name, "probabilities": {label: p}} per run.
    """
    fig = go.Figure()
    if results and all("probabilities" not in r for r in results):
        return score_figure(results, lang)
    for i, result in enumerate(results):
        probs = result.get("probabilities") or {}
        fig.add_trace(
            go.Bar(
                x=list(probs), y=list(probs.values()), name=str(result["run"]),
                marker_color=COLORS[i % len(COLORS)],
                text=[f"{p:.0%}" for p in probs.values()], textposition="outside",
            )
        )  # fmt: skip
    fig.update_layout(
        barmode="group", height=320, template="plotly_white",
        margin={"l": 40, "r": 10, "t": 10, "b": 40}, legend={"orientation": "h", "y": -0.2},
        yaxis={"range": [0, 1.1], "title": text("probability", lang)},
    )  # fmt: skip
    return fig if fig.data else empty_figure(fig, lang)


def score_figure(results: Sequence[Mapping[str, Any]], lang: str = "en") -> go.Figure:
    """One bar per run: the score it predicts (runs trained on a score)."""
    fig = go.Figure(
        go.Bar(
            x=[str(r["run"]) for r in results], y=[float(r["score"]) for r in results],
            marker_color=[COLORS[i % len(COLORS)] for i in range(len(results))],
            text=[f"{float(r['score']):.3f}" for r in results], textposition="outside",
        )
    )  # fmt: skip
    fig.update_layout(
        height=320, template="plotly_white", margin={"l": 40, "r": 10, "t": 10, "b": 40},
        yaxis={"title": text("diag_score", lang)},
    )  # fmt: skip
    return fig
