"""The HTTP API: ``/train``, ``/check``, ``/resume``, ``/stop``, ``/queue``, ``/cancel``,
``/runs`` and ``/predict``, with stable names.

Each endpoint is a named, typed function registered with ``gr.api``; errors come back as
``gr.Error`` messages in plain text, one problem per line (the client raises them as
``AppError``).
"""

from __future__ import annotations

from typing import Any, cast

import gradio as gr
import yaml

from app.i18n.engine import translate_all
from app.shared.actions import predict_runs, resume_training
from app.shared.errors import friendly
from app.shared.language_note import unread_report
from app.shared.preflight import check_start
from app.shared.run_queue import cancel, submit_run, waiting
from app.shared.state import AppState, check_text_length
from core.checks import nest_method_options
from core.config import TrainConfig
from core.data.splits import DataBundle
from core.errors import ConfigError, InputError
from core.training import jobs

RUN_FIELDS = (
    "id", "name", "status", "method", "base_model", "dataset", "created_at", "started_at",
    "finished_at", "error", "trainable_params", "total_params", "label_names",
)  # fmt: skip
PREDICT_CONCURRENCY = 16
"""``/predict`` calls handled at once (the app's default is 4): they wait together for one
combined forward pass per run (:mod:`core.analysis.batcher`), so ten clients share one batch
instead of queueing four at a time."""


def parse_config(config: dict[str, Any] | str) -> dict[str, Any]:
    """A config from a dict or from YAML/JSON text; method settings may also be given flat."""
    if isinstance(config, str):
        try:
            config = yaml.safe_load(config) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"the config is not valid YAML or JSON: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigError("the config must be a mapping of setting names to values")
    return nest_method_options(config)


def train(state: AppState, config: dict[str, Any] | str) -> int:
    """Check the config and its data (every problem at once, as the Train tab does) and start
    training, or queue the run while the device is busy; the new run's id. A refused request
    records no run."""
    run, _bundle = check_start(state, parse_config(config))
    run_id, _position = submit_run(state, cast(TrainConfig, run))
    return run_id


def check(state: AppState, config: dict[str, Any] | str) -> dict[str, Any]:
    """Check a config and its data as ``/train`` does, without training: {"warnings": [...],
    "data": the dataset's summary}. Problems are refused as ``/train`` refuses them; a warning
    (such as a model that does not read the data's language) refuses nothing."""
    run, bundle = check_start(state, parse_config(config))
    data = cast(DataBundle, bundle)  # a config that passed names a dataset, loaded here
    warnings = list(data.warnings)
    report = unread_report(state, run.model, data.train.texts, run.unknown_token_warning)
    if report is not None:
        warnings.insert(0, report.message())
    return {"warnings": translate_all(warnings, state.lang), "data": data.summary()}


def resume(state: AppState, run_id: Any) -> int:
    """Continue a stopped, interrupted or failed run from its checkpoint; its (same) id."""
    return resume_training(state, run_id_of(run_id))


def stop(state: AppState) -> dict[str, Any]:
    """Stop the running job, as the Stop button does: its run stops at the next step boundary
    and a running sweep starts no further runs; {"stopping": run id, "sweep": sweep id}."""
    stopped = jobs.stop()
    if stopped is None:
        return {"stopping": None, "sweep": None}
    return {"stopping": stopped.run_id, "sweep": stopped.group_id}


def queue(state: AppState) -> list[dict[str, Any]]:
    """The runs waiting for the device, in the order they start: [{id, name, method, position,
    resume, created_at}] (position 1 starts next; resume: it continues from its checkpoint)."""
    return waiting(state)


def cancel_waiting(state: AppState, run_id: Any) -> str:
    """Take a waiting run out of the queue (a new run is deleted, a resume goes back to how it
    was); what happened. A run already training is stopped with ``/stop`` instead."""
    return cancel(state, run_id_of(run_id))


def runs(state: AppState) -> list[dict[str, Any]]:
    """Every run, newest first, with its final metrics (accuracy, F1, loss)."""
    out = []
    for run in state.store.list_runs():
        item = {key: run.get(key) for key in RUN_FIELDS}
        metrics = run.get("metrics") or {}
        item["metrics"] = {
            k: v
            for k, v in metrics.items()
            if k.startswith(("eval_", "test_")) and "matrix" not in k
        }
        out.append(item)
    return out


def predict(
    state: AppState, text: str, run_ids: list[int], text_pair: str | None = None
) -> list[dict[str, Any]]:
    """Label and probabilities of ``text`` under each run: [{run_id, run, label, score, ...}].
    ``text_pair``: the second text, for runs trained on text pairs."""
    if not run_ids:
        raise InputError("give at least one run id")
    if not str(text or "").strip():
        raise InputError("the text is empty; give a sentence to judge")
    check_text_length(state, str(text), "en")
    pair = str(text_pair or "").strip()
    if pair:
        check_text_length(state, pair, "en")
    ids = [run_id_of(value) for value in run_ids]
    return predict_runs(state, [str(text)], ids, [pair] if pair else None)


def run_id_of(value: Any) -> int:
    """A run id as the API receives it (3 or "3"); ValueError saying what to give otherwise."""
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise InputError(f"run id {value!r} is not a run number; give ids as /runs lists them")
    return int(text)


def register_api(state: AppState) -> None:
    """Add the API endpoints to the Blocks being built (call inside ``with gr.Blocks()``)."""
    guard = friendly(state.lang, markup=False)  # plain text, in the language of the app

    @guard
    def train_endpoint(config: dict[str, Any] | str) -> int:
        return train(state, config)

    @guard
    def check_endpoint(config: dict[str, Any] | str) -> dict[str, Any]:
        return check(state, config)

    @guard
    def resume_endpoint(run_id: int | str) -> int:
        return resume(state, run_id)

    @guard
    def stop_endpoint() -> dict[str, Any]:
        return stop(state)

    @guard
    def queue_endpoint() -> list[dict[str, Any]]:
        return queue(state)

    @guard
    def cancel_endpoint(run_id: int | str) -> str:
        return cancel_waiting(state, run_id)

    @guard
    def runs_endpoint() -> list[dict[str, Any]]:
        return runs(state)

    @guard
    def predict_endpoint(
        text: str, run_ids: list[int], text_pair: str | None = None
    ) -> list[dict[str, Any]]:
        return predict(state, text, run_ids, text_pair)

    gr.api(train_endpoint, api_name="train")
    gr.api(check_endpoint, api_name="check")
    gr.api(resume_endpoint, api_name="resume")
    gr.api(stop_endpoint, api_name="stop")
    gr.api(queue_endpoint, api_name="queue")
    gr.api(cancel_endpoint, api_name="cancel")
    gr.api(runs_endpoint, api_name="runs")
    gr.api(predict_endpoint, api_name="predict", concurrency_limit=PREDICT_CONCURRENCY)
