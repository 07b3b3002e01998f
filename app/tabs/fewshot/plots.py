"""Plotly figure of a few-shot experiment's learning curves; no Gradio here.

The experiment's score (its task's: accuracy, macro-F1, Pearson, entity F1, named on the axis,
the title and the hover text) against the examples per class ``k`` on a log axis, one colour per
method: the mean over the seeds as a line with markers, error bars from the lowest to the
highest seed, and each seed's run as a small faint point. The ``all`` point (every training row)
has no ``k`` of its own, so it sits apart to the right of the largest ``k``, under its own tick,
joined to the curve by a dotted line only, so that it does not read as a measured ``k``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from app.i18n import text
from app.i18n.scores import score_name
from app.shared.plots import COLORS
from core.fewshot import ALL
from core.methods import METHODS

ALL_GAP = 2.0
"""How far right of the largest ``k`` the ``all`` point sits, as a factor (one octave)."""
SEED_OPACITY = 0.35
Result = Mapping[str, Any]


def method_title(method: str, lang: str) -> str:
    return METHODS[method].title_in(lang) if method in METHODS else method


def numeric_shots(shots: Sequence[Any]) -> list[int]:
    return sorted({int(k) for k in shots if k != ALL})


def all_position(shots: Sequence[Any]) -> float:
    """Where ``all`` sits on the log axis: right of the largest ``k`` (1 when there is none)."""
    numbers = numeric_shots(shots)
    return ALL_GAP * numbers[-1] if numbers else 1.0


def x_of(k: Any, shots: Sequence[Any]) -> float:
    return all_position(shots) if k == ALL else float(k)


def empty_figure(lang: str) -> go.Figure:
    """No finished run yet: an empty chart that says so."""
    fig = go.Figure(layout={"height": 440, "template": "plotly_white"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(
        text=text("fewshot_no_runs", lang), showarrow=False, xref="paper", yref="paper",
        x=0.5, y=0.5, font={"size": 16, "color": "#6b7280"},
    )  # fmt: skip
    return fig


def _k_label(k: Any, lang: str) -> str:
    return text("fewshot_all", lang) if k == ALL else str(k)


def _hover(entry: Result, metric: str, lang: str) -> str:
    return text(
        "fewshot_hover", lang, method=method_title(entry["method"], lang),
        k=_k_label(entry["shots"], lang), metric=metric, mean=f"{entry['score_mean']:.4f}",
        low=f"{entry['score_min']:.4f}", high=f"{entry['score_max']:.4f}",
        std=f"{entry['score_std']:.4f}", runs=entry["runs"], planned=entry["planned"],
    )  # fmt: skip


def _mean_trace(entries: list[Result], shots: Sequence[Any], color: str, name: str,
                metric: str, lang: str, show_legend: bool) -> go.Scatter:  # fmt: skip
    """Means with min..max error bars; one trace for the measured k, another for ``all``."""
    means = [e["score_mean"] for e in entries]
    return go.Scatter(
        x=[x_of(e["shots"], shots) for e in entries], y=means, name=name, legendgroup=name,
        showlegend=show_legend, mode="lines+markers",
        line={"color": color, "width": 2}, marker={"color": color, "size": 9},
        error_y={
            "type": "data", "symmetric": False, "color": color, "thickness": 1.5, "width": 5,
            "array": [e["score_max"] - e["score_mean"] for e in entries],
            "arrayminus": [e["score_mean"] - e["score_min"] for e in entries],
        },
        hovertext=[_hover(e, metric, lang) for e in entries], hoverinfo="text",
    )  # fmt: skip


def _connector(last: Result, every: Result, shots: Sequence[Any], color: str,
               name: str) -> go.Scatter:  # fmt: skip
    """A dotted line from the largest measured k to ``all``: the two are not one axis."""
    return go.Scatter(
        x=[x_of(last["shots"], shots), x_of(ALL, shots)],
        y=[last["score_mean"], every["score_mean"]],
        mode="lines", line={"color": color, "width": 1.5, "dash": "dot"},
        legendgroup=name, showlegend=False, hoverinfo="skip",
    )  # fmt: skip


def _seed_trace(runs: list[Result], shots: Sequence[Any], color: str, name: str,
                metric: str, lang: str) -> go.Scatter:  # fmt: skip
    """Each finished run as a faint point: how far apart the seeds landed."""
    return go.Scatter(
        x=[x_of(r["shots"], shots) for r in runs], y=[r["score"] for r in runs],
        mode="markers", marker={"color": color, "size": 5, "opacity": SEED_OPACITY},
        legendgroup=name, showlegend=False, hoverinfo="text",
        hovertext=[
            text("fewshot_hover_run", lang, run_id=r["run_id"], seed=r["seed"],
                 k=_k_label(r["shots"], lang), metric=metric, score=f"{r['score']:.4f}")
            for r in runs
        ],
    )  # fmt: skip


def _method_traces(method: str, index: int, outcome: Result, lang: str) -> list[go.Scatter]:
    shots, color = outcome.get("shots") or [], COLORS[index % len(COLORS)]
    name, metric = method_title(method, lang), score_name(outcome.get("task"), lang)
    scored = [
        e for e in outcome.get("curve") or []
        if e["method"] == method and e["runs"] and e["score_mean"] is not None
    ]  # fmt: skip
    if not scored:
        return []
    measured = [e for e in scored if e["shots"] != ALL]
    every = [e for e in scored if e["shots"] == ALL]
    traces = []
    if measured:
        traces.append(_mean_trace(measured, shots, color, name, metric, lang, True))
    if every:
        if measured:
            traces.append(_connector(measured[-1], every[0], shots, color, name))
        traces.append(_mean_trace(every, shots, color, name, metric, lang, not measured))
    runs = [r for r in outcome.get("runs") or [] if r["method"] == method
            and r["status"] == "succeeded" and r.get("score") is not None]  # fmt: skip
    if runs:
        traces.append(_seed_trace(runs, shots, color, name, metric, lang))
    return traces


def _x_axis(fig: go.Figure, shots: Sequence[Any], lang: str) -> None:
    """Log axis with a tick at each k, and one for ``all`` at its own place."""
    numbers = numeric_shots(shots)
    ticks = [float(k) for k in numbers] + ([all_position(shots)] if ALL in shots else [])
    labels = [str(k) for k in numbers] + ([text("fewshot_all", lang)] if ALL in shots else [])
    low, high = min(ticks), max(ticks)
    # Plotly's log-axis range is in powers of ten; a margin of ~30% on each side.
    fig.update_xaxes(
        type="log", tickmode="array", tickvals=ticks, ticktext=labels,
        range=[math.log10(low / 1.3), math.log10(high * 1.3)],
        title_text=text("fewshot_axis_k", lang),
    )  # fmt: skip


def y_range(outcome: Result) -> list[float]:
    """Every drawn score with a margin, within 0..1 (-1..1 for a correlation, which can be
    below zero): Plotly's own range for a flat curve would run from -0.5 to 1.5, scores no run
    can have."""
    values = [
        value
        for entry in outcome.get("curve") or []
        for value in (entry.get("score_min"), entry.get("score_max"))
        if value is not None
    ]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    return [max(-1.0 if low < 0 else 0.0, low - 0.05), min(1.0, high + 0.05)]


def fewshot_figure(outcome: Result | None, lang: str = "en") -> go.Figure:
    """The score against examples per class for ``outcome`` (:func:`core.fewshot.fewshot_results`).

    Draws what exists: methods or sizes with no finished run yet are left out; with no finished
    run at all, an empty chart that says so.
    """
    if outcome is None:
        return empty_figure(lang)
    traces = [
        trace
        for index, method in enumerate(outcome.get("methods") or [])
        for trace in _method_traces(method, index, outcome, lang)
    ]
    shots = list(outcome.get("shots") or [])
    if not traces or not shots:
        return empty_figure(lang)
    fig = go.Figure(traces)
    _x_axis(fig, shots, lang)
    metric = score_name(outcome.get("task"), lang)
    fig.update_yaxes(title_text=text("score_axis", lang, metric=metric), range=y_range(outcome))
    fig.update_layout(
        title={"text": text("fewshot_plot_title", lang, metric=metric), "font": {"size": 15}},
        uirevision="fewshot", height=440, template="plotly_white", hovermode="closest",
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"orientation": "h", "y": -0.22, "title": {"text": text("fewshot_legend", lang)}},
    )  # fmt: skip
    return fig
