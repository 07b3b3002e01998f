"""The Monitor's training curves as a Plotly figure; no Gradio here, so it is tested on its own.

``uirevision`` stays constant across redraws, so Plotly keeps a zoom the person chose while new
points arrive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.i18n import text
from app.shared.plots import COLORS, empty_figure

PANELS = (  # (row, col, split, metric name, title key)
    (1, 1, "train", "loss", "loss"),
    (1, 2, "eval", "eval_accuracy", "accuracy"),
    (2, 1, "train", "lr", "learning_rate"),
    (2, 2, "train", "samples_per_second", "throughput"),
)
Rows = Sequence[Mapping[str, Any]]


def series(rows: Rows, split: str, name: str) -> tuple[list[int], list[float]]:
    """Steps and values of one metric, in step order, the latest value per step."""
    points: dict[int, float] = {}
    for row in rows:
        if row.get("split") == split and row.get("name") == name and row.get("value") is not None:
            points[int(row["step"])] = float(row["value"])
    steps = sorted(points)
    return steps, [points[s] for s in steps]


def training_figure(runs: Mapping[str, Rows], lang: str = "en") -> go.Figure:
    """Loss, validation accuracy (a score's run: Pearson correlation), learning rate and
    throughput of one or more runs.

    ``runs`` maps a run's display name to its metric rows (step, split, name, value).
    Train loss is solid and eval loss dotted, in the run's colour.
    """
    titles = [text(key, lang) for *_, key in PANELS]
    fig = make_subplots(rows=2, cols=2, subplot_titles=titles, vertical_spacing=0.14)
    for i, (run, rows) in enumerate(runs.items()):
        color = COLORS[i % len(COLORS)]
        for row, col, split, name, key in PANELS:
            steps, values = series(rows, split, name)
            if steps:
                trace = _line(steps, values, f"{run} · {text(key, lang)}", run, color)
                if name == "loss":  # one legend entry per run; hover names every line
                    trace.name = run
                else:
                    trace.showlegend = False
                fig.add_trace(trace, row=row, col=col)
        steps, values = series(rows, "eval", "eval_pearson")  # a score's run: no accuracy
        if steps and not series(rows, "eval", "eval_accuracy")[0]:
            trace = _line(steps, values, f"{run} · Pearson", run, color)
            trace.showlegend = False
            fig.add_trace(trace, row=1, col=2)
        steps, values = series(rows, "eval", "eval_loss")
        if steps:
            trace = _line(steps, values, f"{run} · {text('eval_loss', lang)}", run, color)
            trace.line.dash = "dot"
            fig.add_trace(trace, row=1, col=1)
    fig.update_layout(
        uirevision="monitor", height=560, margin={"l": 50, "r": 20, "t": 40, "b": 40},
        legend={"orientation": "h", "y": -0.12}, template="plotly_white",
    )  # fmt: skip
    fig.update_xaxes(title_text=text("step", lang), row=2)
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    return fig if fig.data else empty_figure(fig, lang)


def _line(steps: list[int], values: list[float], name: str, group: str, color: str) -> go.Scatter:
    return go.Scatter(
        x=steps, y=values, name=name, legendgroup=group, mode="lines+markers",
        marker={"size": 4}, line={"color": color},
    )  # fmt: skip
