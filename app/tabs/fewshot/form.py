"""The Few-shot tab's form and actions, without Gradio: the form checked into a
:class:`~core.fewshot.FewShotConfig`, Start, Stop and Resume, and the plan's size and time.

The form is checked as the Sweep tab's is: paths through :mod:`app.shared.confine` (a refused
model folder is never read), the plan and the runs it makes by the engine's own check, the
dataset loaded once; every problem is listed at once (:class:`~app.shared.errors.FormProblems`)
and nothing is recorded until all of them are fixed.
"""

from __future__ import annotations

from typing import Any

from app.shared import confine, forms
from app.shared.actions import running_group_id
from app.shared.estimate import duration, guessed_speed, measured_speed
from app.shared.preflight import group_base, problem_sentence, refuse
from app.shared.state import AppState
from core import fewshot
from core.config import Problem, TrainConfig
from core.errors import InputError
from core.fewshot.run import KIND
from core.messages import Message
from core.training import jobs

FORM = ("data", "model", "methods", "shots", "seeds", "steps", "batch", "name")
RESUMABLE = ("stopped", "interrupted", "failed")
MIRRORED = {"max_steps": "steps", "eval_every": "steps", "shots_per_class": "shots",
            "seed": "seeds"}  # fmt: skip
"""Run settings the plan sets from one of its own: a problem of the run's setting repeats the
plan's (``steps=0`` makes ``max_steps=0``), so only the plan's is listed."""


def _methods(values: dict[str, Any]) -> tuple[list[str], list[Message]]:
    chosen = values.get("methods")
    if isinstance(chosen, str):
        return fewshot.read_methods(chosen)
    return fewshot.read_methods(",".join(str(m) for m in chosen or []))


def _number(value: Any, default: int) -> Any:
    """An empty number box means the default, as on the Train tab; anything else is checked
    by the engine (which names a value that is not a whole number in range)."""
    return default if value is None or (isinstance(value, str) and not value.strip()) else value


def base_values(values: dict[str, Any]) -> dict[str, Any]:
    """The settings shared by every run, from the form: dataset, model, batch size, and the
    same validation rows for every run (``eval_sample_rows``)."""
    base = forms.config_values(
        {"data": values.get("data"), "model": values.get("model"),
         "cfg_batch_size": _number(values.get("batch"), fewshot.DEFAULT_BATCH)}
    )  # fmt: skip
    base.pop("method_options", None)
    base.pop("method", None)
    base["eval_sample_rows"] = fewshot.DEFAULT_EVAL_ROWS
    return base


def _plan_problems(base: dict[str, Any], methods: list[str], shots: list[Any], seeds: Any,
                   steps: Any, name: str | None) -> list[Problem]:  # fmt: skip
    found = fewshot.fewshot_problems(base, methods, shots, seeds, steps, name)
    planned = {p.setting for p in found if p.setting in MIRRORED.values()}
    return [p for p in found if MIRRORED.get(p.setting or "") not in planned]


def fewshot_from_form(state: AppState, values: dict[str, Any]) -> fewshot.FewShotConfig:
    """The form as a checked experiment; FormProblems lists every problem at once."""
    base = base_values(values)
    refused = confine.path_problems(state, base)
    problems: list[str] = [*map(problem_sentence, refused)]
    methods, method_problems = _methods(values)
    shots, shot_problems = fewshot.read_shots(values.get("shots") or "")
    problems += method_problems + shot_problems
    if shot_problems and not shots:
        shots = list(fewshot.DEFAULT_SHOTS)  # unreadable: check the rest against the defaults
    if method_problems and not methods:
        methods = list(fewshot.DEFAULT_METHODS)
    seeds = _number(values.get("seeds"), fewshot.DEFAULT_SEEDS)
    steps = _number(values.get("steps"), fewshot.DEFAULT_STEPS)
    name = (values.get("name") or "").strip() or None
    checked_base, data_problems = group_base(state, base, refused)
    plan = _plan_problems(checked_base, methods, shots, seeds, steps, name)
    problems += [*map(problem_sentence, plan), *data_problems]
    refuse(problems)
    return fewshot.FewShotConfig(
        base=TrainConfig(**base), methods=tuple(methods), shots=tuple(shots),
        seeds=int(seeds), steps=int(steps), name=name,
    )  # fmt: skip


# ----------------------------------------------------------------------------- actions
def start(state: AppState, values: dict[str, Any]) -> tuple[str, int]:
    """Check the form and start the experiment in the background; a message and its id.
    BusyError (its text says what holds the device) while a run or another group trains."""
    config = fewshot_from_form(state, values)
    handle = fewshot.start_fewshot(state.store, config)
    message = state.text("fewshot_started", experiment_id=handle.experiment_id, runs=handle.total)
    return message, handle.experiment_id


def resume(state: AppState, experiment_id: Any) -> tuple[str, int]:
    """Train what a stopped, interrupted or failed experiment has left, under the same id."""
    if experiment_id in (None, ""):
        raise InputError(state.text("fewshot_pick_resume"))
    handle = fewshot.resume_fewshot(state.store, int(experiment_id))
    done = fewshot.fewshot_results(state.store, handle.experiment_id)["done"]
    left = handle.total - done
    message = state.text("fewshot_resumed", experiment_id=handle.experiment_id, left=left,
                         runs=handle.total)  # fmt: skip
    return message, handle.experiment_id


def running_id() -> int | None:
    """The few-shot experiment running in this process, if any."""
    return running_group_id(KIND)


def stop(state: AppState) -> str:
    """Stop the running experiment: its current run stops and saves, no further run starts."""
    experiment_id = running_id()
    if experiment_id is None:  # nothing, a single run or a sweep: they have their own Stop
        return state.text("fewshot_not_running")
    stopped = jobs.stop(target=jobs.group_target(KIND, experiment_id))
    if stopped is None:  # it ended meanwhile (and something else may have started)
        return state.text("fewshot_not_running")
    return state.text("fewshot_stopping", experiment_id=experiment_id)


# ----------------------------------------------------------------------------- plan size
def _speed(state: AppState, model: str, methods: list[str]) -> tuple[float, str] | None:
    """Samples per second to estimate with, and where it comes from: earlier runs of each
    method on this model, else the guess for the built-in model; None when neither exists."""
    speeds = [measured_speed(state, model, method) for method in methods]
    if speeds and all(speeds):
        return min(s for s in speeds if s), "speed_measured"
    guesses = [guessed_speed(model or None, method) for method in methods]
    if guesses and all(guesses):
        return min(s for s in guesses if s), "speed_guess"
    return None


def plan_line(state: AppState, values: dict[str, Any]) -> str:
    """How many runs the form plans and roughly how long they train; empty while the form
    cannot be read (Start lists its problems)."""
    methods, _ = _methods(values)
    shots, _ = fewshot.read_shots(values.get("shots") or "")
    try:
        seeds = int(_number(values.get("seeds"), fewshot.DEFAULT_SEEDS))
        steps = int(_number(values.get("steps"), fewshot.DEFAULT_STEPS))
        batch = int(_number(values.get("batch"), fewshot.DEFAULT_BATCH))
    except (TypeError, ValueError):
        return ""
    if not methods or not shots or min(seeds, steps, batch) < 1:
        return ""
    sizes = len(dict.fromkeys(shots))
    runs = len(methods) * sizes * seeds
    time = ""
    speed = _speed(state, str(values.get("model") or "").strip(), methods)
    if speed is not None:
        samples = steps * batch + fewshot.DEFAULT_EVAL_ROWS / 3  # an evaluation ~ 1/3 a step
        time = state.text("fewshot_plan_time", duration=duration(runs * samples / speed[0]),
                          speed=state.text(speed[1]))  # fmt: skip
    return state.text("fewshot_plan", runs=runs, methods=len(methods), sizes=sizes, seeds=seeds,
                      steps=steps, time=time)  # fmt: skip
