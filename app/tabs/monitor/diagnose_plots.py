"""The confusion matrix of a run as a Plotly heatmap, from
:func:`core.analysis.mistakes.confusion` (a score's run: predicted against true, a scatter);
no Gradio here, so it is tested on its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from app.i18n import text
from app.shared.plots import empty_figure

CELL_PX = 56
"""Height of one row of cells; the figure grows with the number of labels."""


def confusion_figure(
    matrix: Mapping[str, Any] | None, normalised: bool = False, lang: str = "en"
) -> go.Figure:
    """True labels down, predicted labels across, the first label at the top left; each cell
    shows its count, or with ``normalised`` its share of the true label's examples (each row
    sums to 100%). An empty figure with a note when there is no matrix."""
    base = go.Figure(layout={"height": 320})
    if matrix and "truth" in matrix:
        return score_figure(matrix, lang)
    if not matrix or not matrix.get("labels"):
        return empty_figure(base, lang)
    labels = [str(label) for label in matrix["labels"]]
    counts = matrix["counts"]
    values = matrix["normalised"] if normalised else counts
    cell = "%{z:.0%}" if normalised else "%{z:,}"
    other = "%{customdata:,}" if normalised else "%{customdata:.0%}"
    hover = (
        f"{text('diag_axis_true', lang)}: %{{y}}<br>{text('diag_axis_predicted', lang)}: %{{x}}"
        f"<br>{cell} ({other})<extra></extra>"
    )
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=labels,
            y=labels,
            customdata=matrix["counts"] if normalised else matrix["normalised"],
            texttemplate=cell,
            hovertemplate=hover,
            colorscale="Blues",
            zmin=0,
            zmax=1 if normalised else max([1] + [max(row) for row in counts]),
            colorbar={"title": {"text": text("diag_shares" if normalised else "count", lang)}},
        )
    )
    fig.update_layout(
        height=max(280, 120 + CELL_PX * len(labels)),
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 20, "b": 60},
        xaxis={"title": text("diag_axis_predicted", lang), "type": "category", "side": "bottom"},
        yaxis={"title": text("diag_axis_true", lang), "type": "category", "autorange": "reversed"},
    )
    return fig


def score_figure(points: Mapping[str, Any], lang: str = "en") -> go.Figure:
    """Each validation row's predicted score against its true one, with the line where they
    are equal."""
    truth, predicted = list(points["truth"]), list(points["predicted"])
    if not truth:
        return empty_figure(go.Figure(layout={"height": 320}), lang)
    low, high = min(truth + predicted), max(truth + predicted)
    fig = go.Figure(
        [
            go.Scatter(x=truth, y=predicted, mode="markers", marker={"opacity": 0.5},
                       name=text("diag_predicted_score", lang)),
            go.Scatter(x=[low, high], y=[low, high], mode="lines", name="=",
                       line={"dash": "dot", "color": "gray"}),
        ]
    )  # fmt: skip
    fig.update_layout(
        height=420, template="plotly_white", margin={"l": 60, "r": 20, "t": 20, "b": 60},
        xaxis={"title": text("diag_true_score", lang)},
        yaxis={"title": text("diag_predicted_score", lang)}, showlegend=False,
    )  # fmt: skip
    return fig
