"""Before a run: trainable parameters (the method built on the model) and a rough duration."""

from __future__ import annotations

import copy
import json
import math
import statistics
from collections.abc import Sequence
from typing import Any

from app.shared.state import AppState
from core.config import TrainConfig
from core.data.language import cached_tokenizer
from core.errors import PTuneError
from core.fit import REFERENCE_TOKENS, model_size, samples_per_second
from core.hardware import default_device
from core.methods import get_method
from core.methods.base import count_parameters
from core.modeling import load_config
from core.training.schedule import time_budget_seconds

SAMPLE_ROWS = 200
"""Training texts tokenized to learn the data's typical length (for the guessed speed)."""
EVALS_PER_RUN = 11  # about ten periodic evaluations and the final one


def count_trainable(state: AppState, config: TrainConfig, num_labels: int) -> tuple[int, int]:
    """(trainable, total) parameters of the method on the model; cached per settings.

    The base model is loaded once and copied for each method, so checking other settings
    costs a copy, not a load.
    """
    options = json.dumps(config.method_options, sort_keys=True, default=str)
    key = f"params:{config.model}:{config.method}:{options}:{num_labels}"
    counts = state.cache.get(key)
    if counts is not None:
        return counts
    from core.modeling import load_base

    base_key = (config.model, num_labels)
    cached = state.cache.get("base")
    if cached is None or cached[0] != base_key:  # one base model kept, not one per model
        labels = [f"label_{i}" for i in range(num_labels)]
        cached = (base_key, load_base(config.model, labels).model)
        state.cache.put("base", cached)  # kept while it fits the app's cache
    method = get_method(config.method)
    settings = method.config_cls.from_dict(config.method_options)
    model = method.wrap(copy.deepcopy(cached[1]), settings)
    counts = count_parameters(model)
    state.cache.put(key, counts)
    return counts


def measured_speed(state: AppState, model: str, method: str) -> float | None:
    """Median training samples/s of earlier finished runs of this model and method."""
    speeds = []
    for run in state.store.list_runs(limit=200):
        metrics = run.get("metrics") or {}
        value = metrics.get("train_samples_per_second")
        if run["base_model"] == model and run["method"] == method and value:
            speeds.append(float(value))
    return statistics.median(speeds) if speeds else None


def guessed_speed(model: str | None, method: str, tokens: float = REFERENCE_TOKENS) -> float | None:
    """Training samples/s :mod:`core.fit` expects of ``method`` on ``model`` on this machine, at
    ``tokens`` tokens a row, before any run measured it; None when the model's config cannot be
    read (the model line under the model box says why)."""
    try:
        size = model_size(load_config(model or TrainConfig.model))
    except PTuneError:
        return None
    return samples_per_second(size, method, tokens, default_device())


def mean_tokens(model: str | None, texts: Sequence[str], max_length: int) -> float:
    """Mean tokens of the first :data:`SAMPLE_ROWS` of ``texts`` for ``model``, as the run will
    cut them (:data:`~core.fit.REFERENCE_TOKENS` when the tokenizer cannot be read); a row of
    several texts (a pair, a tagged sentence's words) counts them joined by spaces."""
    try:
        tokenizer = cached_tokenizer(model or TrainConfig.model)
    except PTuneError:
        return REFERENCE_TOKENS
    sample = [
        " ".join(map(str, text)) if isinstance(text, (tuple, list)) else str(text)
        for text in texts[:SAMPLE_ROWS]
    ]
    if not sample:
        return REFERENCE_TOKENS
    counts = tokenizer(sample, truncation=True, max_length=max_length)["input_ids"]
    return statistics.fmean(len(ids) for ids in counts)


def planned_steps(config: TrainConfig, train_rows: int) -> int:
    """Optimizer steps the run plans before any time budget cuts it."""
    if config.max_steps:
        return config.max_steps
    epochs = config.epochs or get_method(config.method).default_epochs
    return max(1, math.ceil(math.ceil(train_rows / config.batch_size) * epochs))


def estimate(
    config: TrainConfig, train_rows: int, validation_rows: int, samples_per_second: float
) -> dict[str, Any]:
    """Steps and seconds the run should take; ``budget`` when a time budget caps it."""
    steps = planned_steps(config, train_rows)
    train_seconds = steps * config.batch_size / samples_per_second
    eval_rows = min(validation_rows, config.max_eval_rows)
    eval_seconds = EVALS_PER_RUN * eval_rows / (3 * samples_per_second)  # forward ~ 1/3 step
    seconds = train_seconds + eval_seconds
    budget = time_budget_seconds(config)
    if budget is not None and seconds > budget:
        fitted = int((budget - eval_seconds) * samples_per_second / config.batch_size)
        return {"steps": max(1, min(steps, fitted)), "seconds": budget, "budget": budget}
    return {"steps": steps, "seconds": seconds, "budget": None}


def duration(seconds: float) -> str:
    """A duration for people: 45 s, 3 min 20 s, 1 h 5 min."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def share(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` with two significant digits when small."""
    percent = 100 * part / max(whole, 1)
    return f"{percent:.1f}%" if percent >= 1 else f"{percent:.2g}%"


def human_count(n: int) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{n / limit:.1f}{suffix}"
    return str(n)
