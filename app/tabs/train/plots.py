"""The Train tab's figure: examples per label of the previewed dataset; no Gradio here."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go

from app.i18n import text
from app.shared.plots import COLORS


def label_figure(counts: Mapping[str, int], lang: str = "en") -> go.Figure:
    """Bar chart of examples per label."""
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), marker_color=COLORS[0]))
    fig.update_layout(
        height=260, margin={"l": 40, "r": 10, "t": 10, "b": 40}, template="plotly_white",
        xaxis_title=text("label", lang), yaxis_title=text("count", lang),
    )  # fmt: skip
    return fig
