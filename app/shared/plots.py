"""What the app's Plotly figures share: the run colours and the empty figure; no Gradio here.

Each tab's own figures live beside it (``app/tabs/<tab>/plots.py``); all of them are tested
without Gradio.
"""

from __future__ import annotations

import plotly.graph_objects as go

from app.i18n import text

COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d")


def empty_figure(fig: go.Figure, lang: str) -> go.Figure:
    """A figure as high as ``fig`` with no axes and a "no data yet" note in ``lang``."""
    fig = go.Figure(layout={"height": fig.layout.height, "template": "plotly_white"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=text("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        font={"size": 16, "color": "#6b7280"},
    )  # fmt: skip
    return fig
