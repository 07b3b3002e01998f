"""Plotly figures of a sweep's results; no Gradio here, so they are tested on their own.

A grid of two or more prompt lengths and two or more learning rates is a heatmap of the runs'
validation score (the one their task ranks by, :func:`score_of`, named on the axis: accuracy,
macro-F1, Pearson, entity F1), the best cell framed in gold and starred; a sweep along one axis
is a line, the best point a gold star.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from app.i18n import text
from app.i18n.scores import group_task, score_name
from app.shared.plots import COLORS

LENGTH = "num_virtual_tokens"
BEST_COLOR = "#facc15"
BEST_MARKER = {"symbol": "star", "size": 20, "color": BEST_COLOR,
               "line": {"color": "#111827", "width": 1.5}}  # fmt: skip
Result = Mapping[str, Any]


def lr_label(lr: float) -> str:
    return f"{lr:g}"


def _axes(results: Sequence[Result]) -> tuple[list[int], list[float]]:
    lengths = sorted({int(r[LENGTH]) for r in results if r.get(LENGTH) is not None})
    lrs = sorted({float(r["lr"]) for r in results if r.get("lr") is not None})
    return lengths, lrs


def score_of(result: Result) -> float | None:
    """A run's score: the one its task ranks by (``score``, :func:`core.tasks.best_score`);
    a result without it, its accuracy."""
    score = result.get("score")
    return result.get("eval_accuracy") if score is None else score


def _scored(results: Sequence[Result]) -> list[Result]:
    return [r for r in results if score_of(r) is not None]


def axis_title(results: Sequence[Result], lang: str) -> str:
    """The axis title: the score of the sweep's task ("Validation accuracy", ...)."""
    return text("score_axis", lang, metric=score_name(group_task(results), lang))


def no_data_figure(lang: str = "en") -> go.Figure:
    fig = go.Figure(layout={"height": 420, "template": "plotly_white"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=text("no_data", lang),
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 16, "color": "#6b7280"},
    )
    return fig


def sweep_figure(
    results: Sequence[Result], best: Result | None = None, lang: str = "en"
) -> go.Figure:
    """The validation score over prompt length x learning rate, the best run starred.

    ``results`` holds one {num_virtual_tokens, lr, score (or eval_accuracy), task, status,
    run_id} per run.
    """
    if not _scored(results):
        return no_data_figure(lang)
    lengths, lrs = _axes(results)
    if len(lengths) >= 2 and len(lrs) >= 2:
        fig = heatmap(results, lengths, lrs, best, lang)
    elif len(lengths) == 1 and len(lrs) >= 2:
        fig = lines(results, "lr", LENGTH, best, lang)
        fig.update_xaxes(type="log", title_text=text("learning_rate", lang))
    else:
        fig = lines(results, LENGTH, "lr", best, lang)
        fig.update_xaxes(title_text=text("sweep_axis_length", lang))
    fig.update_layout(
        uirevision="sweep",
        height=420,
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def _cell_text(result: Result | None, best: Result | None) -> str:
    if result is None:
        return ""
    score = score_of(result)
    if score is None:
        return str(result.get("status") or "")
    star = "★ " if best is not None and result.get("run_id") == best.get("run_id") else ""
    return f"{star}{score:.3f}"


def heatmap(
    results: Sequence[Result], lengths: list[int], lrs: list[float], best: Result | None, lang: str
) -> go.Figure:
    """The score per (length, learning rate) cell; lengths across, learning rates up."""
    cells = {(int(r[LENGTH]), float(r["lr"])): r for r in results if r.get(LENGTH) is not None}
    rows = [[cells.get((n, lr)) for n in lengths] for lr in lrs]
    x, y = [str(n) for n in lengths], [lr_label(lr) for lr in lrs]
    title = axis_title(results, lang)
    fig = go.Figure(
        go.Heatmap(
            x=x,
            y=y,
            z=[[None if c is None else score_of(c) for c in row] for row in rows],
            text=[[_cell_text(c, best) for c in row] for row in rows],
            texttemplate="%{text}",
            colorscale="Blues",
            colorbar={"title": {"text": title}},
            hoverongaps=False,
            hovertemplate="P=%{x} · lr=%{y}<br>" + title + " %{z:.4f}<extra></extra>",
        )
    )
    if best is not None:  # a gold frame around the best cell (categories sit at 0, 1, ...)
        col, row = lengths.index(int(best[LENGTH])), lrs.index(float(best["lr"]))
        fig.add_shape(
            type="rect", x0=col - 0.5, x1=col + 0.5, y0=row - 0.5, y1=row + 0.5,
            line={"color": BEST_COLOR, "width": 4}, name=text("sweep_best_point", lang),
        )  # fmt: skip
    fig.update_xaxes(type="category", title_text=text("sweep_axis_length", lang))
    fig.update_yaxes(type="category", title_text=text("learning_rate", lang))
    return fig


def lines(
    results: Sequence[Result], x_key: str, group_key: str, best: Result | None, lang: str
) -> go.Figure:
    """The score against ``x_key``, one line per value of ``group_key``."""
    fig = go.Figure()
    groups = sorted({r[group_key] for r in _scored(results) if r.get(group_key) is not None})
    for i, value in enumerate(groups):
        points = sorted(
            (r[x_key], score_of(r)) for r in _scored(results) if r.get(group_key) == value
        )
        label = f"lr={lr_label(value)}" if group_key == "lr" else f"P={value}"
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                name=label,
                mode="lines+markers",
                line={"color": COLORS[i % len(COLORS)]},
            )
        )
    if best is not None:
        fig.add_trace(
            go.Scatter(
                x=[best[x_key]],
                y=[score_of(best)],
                mode="markers",
                marker=BEST_MARKER,
                name=text("sweep_best_point", lang),
            )
        )
    fig.update_yaxes(title_text=axis_title(results, lang))
    return fig
