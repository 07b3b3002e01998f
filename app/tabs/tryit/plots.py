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
    for i, result in enumerate(results):
        probs = result["probabilities"]
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
