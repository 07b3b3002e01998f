"""The Compare tab's figure: one panel per measured figure, from
:func:`core.analysis.compare.compare_rows`.

Each run keeps one colour in every panel. Trainable share and adapter size span several orders
of magnitude between methods (head only to full fine-tuning), so their axes are logarithmic.
A run is scored by its task's score (:func:`dev_value`, :func:`transfer_value`): runs all
judged by accuracy read as shares, as before; others as the score itself, each titled with the
name the runs share (macro-F1, Pearson, entity F1) or "score" when their tasks differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.i18n import text
from app.i18n.scores import score_name
from app.shared.plots import COLORS, empty_figure
from core.analysis.compare import dataset_label, human_bytes, seconds_text, transfer_keys
from core.tasks import DEFAULT_TASK, TASKS

Rows = Sequence[Mapping[str, Any]]
BAR_PANELS = (  # (row, col, value key, title key, log axis)
    (1, 1, "trainable_share", "cmp_plot_share", True),
    (1, 2, "adapter_bytes", "cmp_plot_adapter", True),
    (1, 3, "train_samples_per_second", "cmp_plot_speed", False),
    (2, 1, "seconds_to_best", "cmp_plot_to_best", False),
)
TRANSFER_SCORE = {"eval_accuracy": "accuracy", "eval_f1": "macro_f1", "eval_pearson": "pearson"}
"""Which generalisation result is a task's score on a second dataset, by its best metric (a
tagger's ``macro_f1`` there is its entity F1)."""


def _best_metric(row: Mapping[str, Any]) -> str:
    return TASKS.get(str(row.get("task") or DEFAULT_TASK), TASKS[DEFAULT_TASK]).best_metric


def by_accuracy(rows: Rows) -> bool:
    """Whether every run is judged by accuracy: its figures then read as shares."""
    return all(_best_metric(row) == "eval_accuracy" for row in rows)


def dev_value(row: Mapping[str, Any]) -> float | None:
    """The run's validation score: its accuracy, or the score its task ranks by."""
    accuracy = _best_metric(row) == "eval_accuracy"
    return row.get("dev_accuracy") if accuracy else row.get("dev_score")


def transfer_value(row: Mapping[str, Any], key: str) -> float | None:
    """The run's score on the second dataset ``key``, None when not evaluated there."""
    return (row["transfer"].get(key) or {}).get(TRANSFER_SCORE.get(_best_metric(row), "accuracy"))


def metric_names(rows: Rows, lang: str) -> dict[str, str]:
    """``metric`` and ``Metric`` (capitalised) for the titles: the name of the score the runs
    share (accuracy when there is none), "score" when their tasks are judged differently."""
    names = {score_name(row.get("task"), lang) for row in rows} or {score_name(None, lang)}
    name = names.pop() if len(names) == 1 else text("score_any", lang)
    return {"metric": name, "Metric": name[:1].upper() + name[1:]}


def short_label(row: Mapping[str, Any]) -> str:
    return f"#{row['run_id']} {row['method']}"


def _value_text(key: str, value: float) -> str:
    if key == "trainable_share":
        return f"{value:.3g}%"
    if key == "adapter_bytes":
        return human_bytes(value)
    if key == "seconds_to_best":
        return seconds_text(value)
    return f"{value:.0f}"


def _bars(rows: Rows, key: str) -> go.Bar:
    """One bar per run (a gap where the run has no value), in the run's colour."""
    values = [row.get(key) for row in rows]
    return go.Bar(
        x=[short_label(r) for r in rows],
        y=values,
        showlegend=False,
        marker_color=[COLORS[i % len(COLORS)] for i in range(len(rows))],
        text=["" if v is None else _value_text(key, v) for v in values],
        textposition="outside",
        textangle=0,
        cliponaxis=False,
        hovertext=[str(r["name"]) for r in rows],
        hoverinfo="text+y",
    )


def _score_traces(rows: Rows, lang: str) -> list[go.Bar]:
    """Per run: its dev score beside its score on each second dataset (grouped)."""
    keys = transfer_keys([dict(row) for row in rows])
    groups = [text("cmp_dev", lang)] + [dataset_label(k) for k in keys]
    shares = by_accuracy(rows)
    traces = []
    for i, row in enumerate(rows):
        values = [dev_value(row)] + [transfer_value(row, k) for k in keys]
        named = " " + score_name(row.get("task"), lang)
        traces.append(
            go.Bar(
                x=groups,
                y=values,
                name=f"#{row['run_id']} {row['name']}",
                legendgroup=str(row["run_id"]),
                marker_color=COLORS[i % len(COLORS)],
                hovertemplate="%{x}: %{y:.1%}" if shares else "%{x}: %{y:.3f}" + named,
            )
        )
    return traces


def bubble_size(size: float) -> float:
    """Marker diameter for an adapter of ``size`` bytes: 8 px at 1 KB and below, 6 px more per
    factor of ten (adapters span 4 KB for a head to 90 MB for a full model). A fixed scale, so
    runs of about the same size get bubbles of about the same size."""
    return 8 + 6 * max(0.0, math.log10(max(size, 1.0) / 1024))


def log_range(values: Sequence[float | None]) -> list[float] | None:
    """A log axis range (in decades) around ``values``, at least two decades wide, so near-equal
    values do not look different."""
    known = [math.log10(v) for v in values if v]
    if not known:
        return None
    middle = (min(known) + max(known)) / 2
    half = max(1.0, (max(known) - min(known)) / 2 + 0.3)
    return [middle - half, middle + half]


def _padded(values: Sequence[float | None]) -> list[float] | None:
    """A linear range around ``values`` with room for the method names above the points."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    pad = max(0.01, 0.15 * (max(known) - min(known)))
    return [min(known) - pad, max(known) + 2 * pad]


def _tradeoff(rows: Rows) -> go.Scatter:
    """Trainable share (log x) against the dev score; the bubble grows with adapter size."""
    points = [
        (COLORS[i % len(COLORS)], r)
        for i, r in enumerate(rows)
        if r.get("trainable_share") and dev_value(r) is not None
    ]
    sizes = [float(r.get("adapter_bytes") or 0) for _, r in points]
    hover = [
        f"{r['name']}" + (f": {human_bytes(size)}" if size else "")
        for (_, r), size in zip(points, sizes, strict=True)
    ]
    return go.Scatter(
        x=[r["trainable_share"] for _, r in points],
        y=[dev_value(r) for _, r in points],
        mode="markers+text",
        text=[r["method"] for _, r in points],
        textposition="top center",
        showlegend=False,
        hovertext=hover,
        cliponaxis=False,
        marker={
            "color": [color for color, _ in points],
            "opacity": 0.75,
            "size": [bubble_size(size) for size in sizes],
        },
    )


def _score_axes(fig: go.Figure, rows: Rows, title: str) -> None:
    """The score panels' value axes: shares from 0 for accuracy, the score itself otherwise (a
    correlation can be below 0)."""
    shares = by_accuracy(rows)
    drawn = [v for trace in fig.select_traces(row=2, col=2) for v in trace.y if v is not None]
    low = min([0.0, *drawn])
    fig.update_yaxes(range=[low, 1.05], tickformat=".0%" if shares else ".2f", row=2, col=2)
    fig.update_yaxes(range=_padded([dev_value(r) for r in rows]), row=2, col=3)
    fig.update_yaxes(tickformat=".1%" if shares else ".3f", title_text=title, row=2, col=3)


def comparison_figure(rows: Rows, lang: str = "en") -> go.Figure:
    """Trainable share, adapter size, training speed, time to the best score, the score on dev
    and on each second dataset, and the share-score trade-off of the given runs."""
    names = metric_names(rows, lang)
    titles = [text(title, lang, **names) for _, _, _, title, _ in BAR_PANELS]
    titles += [text("cmp_plot_accuracy", lang, **names), text("cmp_plot_tradeoff", lang, **names)]
    fig = make_subplots(
        rows=2, cols=3, subplot_titles=titles, vertical_spacing=0.2, horizontal_spacing=0.07
    )
    keys = [key for _, _, key, _, _ in BAR_PANELS]
    measured = [r for r in rows if any(v is not None for v in (*map(r.get, keys), dev_value(r)))]
    if not measured:
        return empty_figure(fig, lang)
    for row, col, key, _, log in BAR_PANELS:
        fig.add_trace(_bars(rows, key), row=row, col=col)
        if log:
            fig.update_yaxes(
                type="log", range=log_range([r.get(key) for r in rows]), row=row, col=col
            )
    for trace in _score_traces(rows, lang):
        fig.add_trace(trace, row=2, col=2)
    fig.add_trace(_tradeoff(rows), row=2, col=3)
    shares = [r.get("trainable_share") for r in rows]
    fig.update_xaxes(
        type="log", range=log_range(shares), title_text=text("cmp_axis_share", lang), row=2, col=3
    )
    _score_axes(fig, rows, text("cmp_axis_dev", lang, **names))
    fig.update_layout(
        barmode="group",
        height=720,
        template="plotly_white",
        uirevision="compare",
        margin={"l": 50, "r": 30, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        font={"size": 11},
    )
    return fig
