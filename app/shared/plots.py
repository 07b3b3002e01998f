"""Plotly figures from plain data; no Gradio here, so they are tested on their own.

``uirevision`` stays constant across redraws, so Plotly keeps a zoom the person chose while new
points arrive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.i18n import text

COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d")
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


def _empty(fig: go.Figure, lang: str) -> go.Figure:
    fig = go.Figure(layout={"height": fig.layout.height, "template": "plotly_white"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=text("no_data", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
        font={"size": 16, "color": "#6b7280"},
    )  # fmt: skip
    return fig


def training_figure(runs: Mapping[str, Rows], lang: str = "en") -> go.Figure:
    """Loss, validation accuracy, learning rate and throughput of one or more runs.

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
    return fig if fig.data else _empty(fig, lang)


def _line(steps: list[int], values: list[float], name: str, group: str, color: str) -> go.Scatter:
    return go.Scatter(
        x=steps, y=values, name=name, legendgroup=group, mode="lines+markers",
        marker={"size": 4}, line={"color": color},
    )  # fmt: skip


def label_figure(counts: Mapping[str, int], lang: str = "en") -> go.Figure:
    """Bar chart of examples per label."""
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), marker_color=COLORS[0]))
    fig.update_layout(
        height=260, margin={"l": 40, "r": 10, "t": 10, "b": 40}, template="plotly_white",
        xaxis_title=text("label", lang), yaxis_title=text("count", lang),
    )  # fmt: skip
    return fig


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
    return fig if fig.data else _empty(fig, lang)
