"""The Train tab's checks and actions, without Gradio: a model's support in one line, the form
checked into a run's settings with an estimate of its size and time, the run's command line and
YAML, and Start (at once, or queued while the device is busy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.shared import confine, estimate, forms
from app.shared.language_note import language_note
from app.shared.preflight import check_start
from app.shared.run_queue import submit_run
from app.shared.state import AppState
from app.tabs.train.suggest import memory_text
from core.checks import model_support
from core.config import TrainConfig
from core.data.files import DATASET_EXTENSIONS
from core.errors import PTuneError
from core.methods import METHODS


def is_hub_id(source: str) -> bool:
    """True for a name like ``glue:sst2`` or ``imdb`` that is no local file or folder."""
    path = Path(source).expanduser()
    looks_local = source.startswith(("/", ".", "~")) or path.suffix.lower() in DATASET_EXTENSIONS
    return not path.exists() and not looks_local and source.count("/") <= 1


def show_model(state: AppState, model: str | None) -> str:
    """The model's family and which methods can train it, in one line (a model folder the app
    does not serve is not read)."""
    refusal = confine.model_refusal(state, model)
    if refusal:
        return state.text("model_unreadable", error=refusal)
    try:
        support = model_support(model)
    except PTuneError as exc:
        return state.text("model_unreadable", error=exc)
    unusable = [name for name in METHODS if name not in support.usable]
    if support.decoder_name:
        family = state.text(
            "model_family_decoder", family=support.family, name=support.decoder_name
        )
    else:
        family = state.text("model_family_encoder", family=support.family)
    if not unusable:
        return state.text("model_support", family=family)
    titles = [METHODS[name].title_in(state.lang) for name in support.usable]
    return state.text(
        "model_support_some", family=family, usable=", ".join(titles) or "-",
        unusable=", ".join(METHODS[n].title_in(state.lang) for n in unusable),
        reason=support.methods[unusable[0]][0],
    )  # fmt: skip


def validated(state: AppState, values: dict[str, Any]) -> tuple[TrainConfig, Any]:
    """The form as a checked config and its loaded dataset; FormProblems lists every problem."""
    return check_start(state, forms.config_values(values))


def estimate_text(state: AppState, config: TrainConfig, bundle: Any) -> str:
    """Trainable parameters and an estimated duration, in words."""
    trainable, total = estimate.count_trainable(state, config, len(bundle.label_names))
    speed = estimate.measured_speed(state, config.model, config.method)
    source = state.text("speed_measured" if speed else "speed_guess")
    if not speed:
        tokens = estimate.mean_tokens(config.model, bundle.train.texts, config.max_length)
        speed = estimate.guessed_speed(config.model, config.method, tokens) or 1.0
    plan = estimate.estimate(config, len(bundle.train), len(bundle.validation), speed)
    message = state.text(
        "estimate", trainable=f"{trainable:,}", total=estimate.human_count(total),
        share=estimate.share(trainable, total), steps=f"{plan['steps']:,}",
        duration=estimate.duration(plan["seconds"]), speed=source,
    )  # fmt: skip
    if plan["budget"]:
        message += state.text("estimate_budget", budget=estimate.duration(plan["budget"]))
    return message + memory_text(state, config)


def check_form(state: AppState, values: dict[str, Any]) -> tuple[str, str, str]:
    """Validate the whole form; the estimate, the command and the YAML of the run."""
    config, bundle = validated(state, values)
    notes = "".join(f"\n- {state.translate(w)}" for w in bundle.warnings)
    return estimate_text(state, config, bundle) + notes + unread_note(state, config, bundle), *(
        code_views(config)
    )


def unread_note(state: AppState, config: TrainConfig, bundle: Any) -> str:
    """The warning, as a paragraph, when the run's model does not read its data's language."""
    note = language_note(state, config.model, bundle.train.texts, config.unknown_token_warning)
    return f"\n\n⚠️ {note}" if note else ""


def code_views(config: TrainConfig) -> tuple[str, str]:
    return forms.as_command(config), forms.as_yaml(config)


def start_training(state: AppState, values: dict[str, Any]) -> tuple[str, str, int]:
    """Check the form, estimate, and start the run in the background.

    Returns the estimate, a status line and the run id. While the device is busy the run waits
    in the queue (:mod:`app.shared.run_queue`) and the status line says its place.
    """
    config, bundle = validated(state, values)
    plan = estimate_text(state, config, bundle) + unread_note(state, config, bundle)
    run_id, place = submit_run(state, config)
    name = state.store.get_run(run_id)["name"]
    if place is not None:  # the device is busy: the run waits its turn
        return plan, state.text("queued_run", run_id=run_id, name=name, position=place), run_id
    return plan, state.text("started", run_id=run_id, name=name), run_id
