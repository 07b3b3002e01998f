"""The one check of a run's settings: every problem at once, each naming its setting.

The command line, the HTTP API, the Train tab, sweeps and the trainer all go through
:func:`check_run` (or :func:`checked`, which raises). It works on plain keyword values (what a
form, a YAML file or a JSON body holds), so values a config dataclass would refuse are reported
together with everything else instead of one at a time. Method settings may come nested under
``method_options`` or flat beside the run's own settings (:func:`nest_method_options`).

Configs that passed are remembered by their values (a few, newest first), so the engine does
not repeat the check, which reads the model's config, for a run a caller has just checked: one
Start click checks once however many layers the run passes through.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from core.config import ConfigBase, Problem, TrainConfig, coerce_numbers
from core.errors import ConfigProblems, PTuneError, message_of
from core.fit import available_bytes, estimate_memory, model_size, refusal
from core.hardware import default_device, resolve_precision
from core.messages import Message, say
from core.methods import METHODS, Method
from core.modeling import DECODER_FAMILIES, is_decoder, load_config, max_positions

MIN_ROOM = 8
"""Fewest real tokens a model must still take once a prompt has its positions."""

TRAIN_FIELDS = frozenset(f.name for f in dataclasses.fields(TrainConfig))
UNCHECKED_FIELDS = ("name", "out")
"""Settings the check does not read: a checked run renamed or given its folder stays checked."""
REMEMBERED = 32
_passed: OrderedDict[str, tuple[Method, ConfigBase]] = OrderedDict()
_passed_lock = threading.Lock()


@dataclass
class RunCheck:
    """The outcome of :func:`check_run`: the problems, or the checked config and its method."""

    problems: list[Problem]
    config: TrainConfig | None = None
    method: Method | None = None
    settings: ConfigBase | None = None


def draft(cls: type[ConfigBase], values: dict[str, Any]) -> ConfigBase:
    """An instance of ``cls`` with ``values`` and without validation (to list its problems);
    numbers written as text are read as numbers, as construction reads them."""
    values = coerce_numbers(cls, values)
    instance = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if f.name in values:
            value = values[f.name]
        elif f.default is not dataclasses.MISSING:
            value = f.default
        else:  # a field without a default has a factory: never MISSING here
            value = f.default_factory()  # type: ignore[operator]
        object.__setattr__(instance, f.name, value)
    return instance


def nest_method_options(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every setting that is not the run's own moved into ``method_options``.

    Settings of no method at all stay in ``method_options`` too; :func:`check_run` then names
    them and lists the chosen method's settings.
    """
    out = dict(values)
    options = out.pop("method_options", None)
    options = dict(options) if isinstance(options, dict) else options
    flat = {key: out.pop(key) for key in [k for k in out if k not in TRAIN_FIELDS]}
    if flat and isinstance(options, dict | None):
        options = {**(options or {}), **flat}
    out["method_options"] = {} if options is None else options
    return out


def run_problems(values: dict[str, Any]) -> list[Problem]:
    """Every problem of a run's settings (TrainConfig keyword values)."""
    return check_run(values).problems


def check_run(values: dict[str, Any] | TrainConfig) -> RunCheck:
    """Check a run's settings, the chosen method's settings and their fit to the model."""
    if isinstance(values, TrainConfig):
        with _passed_lock:
            known = _passed.get(_key(values))
        if known is not None:  # a copy of the settings: each run may keep its own
            return RunCheck([], values, known[0], dataclasses.replace(known[1]))
        return _check(values.to_dict(), values)
    return _check(nest_method_options(values), None)


def checked(values: dict[str, Any] | TrainConfig) -> RunCheck:
    """:func:`check_run`, raising :class:`ConfigProblems` (listing all) when there is any."""
    result = check_run(values)
    if result.problems:
        raise ConfigProblems(result.problems)
    return result


def _check(values: dict[str, Any], config: TrainConfig | None) -> RunCheck:
    values = coerce_numbers(TrainConfig, values)
    problems = draft(TrainConfig, values).problems()
    method = METHODS.get(str(values.get("method", TrainConfig.method)))
    settings = None
    if method is None:
        message = say(
            "unknown method '{method}'; choose one of {methods}",
            method=values.get("method"), methods=", ".join(METHODS),
        )  # fmt: skip
        problems.append(TrainConfig.problem("method", message))
    else:
        options = values.get("method_options")
        if isinstance(options, dict):
            values["method_options"] = options = coerce_numbers(method.config_cls, options)
        option_problems, settings = _option_problems(method, options)
        problems += option_problems
    problems += _task_problems(values)
    problems += _checkpointing_problems(values)
    model_config = None
    try:
        model_config = load_config(str(values.get("model") or TrainConfig.model))
        if settings is not None and method is not None:
            model = [TrainConfig.problem("model", p) for p in method.model_problems(model_config)]
            problems += model + _room_problems(method, settings, model_config)
        problems += _pooling_problems(str(values.get("pooling") or "auto"), model_config)
    except PTuneError as exc:
        problems.append(TrainConfig.problem("model", message_of(exc)))
    precision = None
    try:
        requested = str(values.get("precision") or TrainConfig.precision)
        precision = resolve_precision(requested, default_device())
    except PTuneError as exc:
        problems.append(TrainConfig.problem("precision", message_of(exc)))
    if not problems and precision is not None:
        problems += _fit_problems(values, model_config, precision)
    if problems:
        return RunCheck(list(dict.fromkeys(problems)))
    assert method is not None and settings is not None  # read, since there is no problem
    config = config if config is not None else TrainConfig(**values)
    key = _key(config)
    with _passed_lock:
        _passed[key] = (method, dataclasses.replace(settings))
        _passed.move_to_end(key)
        while len(_passed) > REMEMBERED:
            _passed.popitem(last=False)
    return RunCheck([], config, method, settings)


def _key(config: TrainConfig) -> str:
    values = {k: v for k, v in config.to_dict().items() if k not in UNCHECKED_FIELDS}
    return json.dumps(values, sort_keys=True, default=str)


def _option_problems(method: Method, options: Any) -> tuple[list[Problem], ConfigBase | None]:
    """Problems of the method's own settings, and those settings when they are fine."""
    if not isinstance(options, dict):
        return [], None  # TrainConfig.problems() names it
    known = {f.name for f in dataclasses.fields(method.config_cls)}
    anywhere = {f.name for m in METHODS.values() for f in dataclasses.fields(m.config_cls)}
    other = sorted((set(options) - known) & anywhere)
    unknown = sorted(set(options) - anywhere)
    problems = []
    if other:
        message = say(
            "{other} is not a setting of {method}; its settings are {known}",
            other=", ".join(other), method=method.title, known=", ".join(sorted(known)) or "none",
        )  # fmt: skip
        problems.append(TrainConfig.problem("method_options", message))
    if unknown:
        message = say(
            "unknown setting(s) {unknown}; known settings are {known}",
            unknown=", ".join(unknown), known=", ".join(sorted(TRAIN_FIELDS | known)),
        )  # fmt: skip
        problems.append(TrainConfig.problem("method_options", message))
    options = {k: v for k, v in options.items() if k in known}
    problems += draft(method.config_cls, options).problems()
    if problems:
        return problems, None
    return problems, method.config_cls(**options)


def _room_problems(method: Method, settings: ConfigBase, model_config: Any) -> list[Problem]:
    taken, limit = method.reserved_positions(settings), max_positions(model_config)
    if limit - taken >= MIN_ROOM:
        return []
    message = say(
        "the prompt takes {taken} of the model's {limit} positions, leaving fewer than "
        "{room} for the text; use fewer virtual tokens",
        taken=taken, limit=limit, room=MIN_ROOM,
    )  # fmt: skip
    return [settings.problem("num_virtual_tokens", message)]


def _pooling_problems(pooling: str, model_config: Any) -> list[Problem]:
    """A decoder read at its first token (which has seen nothing of the text after it), or an
    encoder read at its last (a separator token, which no encoder was trained to be read at:
    a plain classifier of its class, the merged export, would read the first)."""
    kind = model_config.model_type
    if pooling == "cls" and is_decoder(kind):
        message = say(
            "a {family} model is a decoder: its first token sees nothing of the text after it, "
            "so it cannot be read as the sentence; use pooling auto or last (the last real "
            "token)",
            family=DECODER_FAMILIES[kind],
        )
    elif pooling == "last" and not is_decoder(kind):
        message = say(
            "pooling last reads the last real token, which only decoder models gather the text "
            "in; a '{kind}' model is an encoder: use pooling auto, cls or mean",
            kind=kind,
        )
    else:
        return []
    return [TrainConfig.problem("pooling", message)]


def _checkpointing_problems(values: dict[str, Any]) -> list[Problem]:
    """Gradient checkpointing asked of a method whose backward pass never enters the layers."""
    method = METHODS.get(str(values.get("method", TrainConfig.method)))
    if not values.get("gradient_checkpointing") or method is None:
        return []
    if method.backward_through_layers:
        return []
    message = say(
        "gradient checkpointing recomputes the layers' activations in the backward pass, and "
        "{method} keeps none (its backward pass stops at the head); turn it off",
        method=method.said_title,
    )
    return [TrainConfig.problem("gradient_checkpointing", message)]


def _fit_problems(values: dict[str, Any], model_config: Any, precision: str) -> list[Problem]:
    """The run's estimated peak memory against what this machine has free (:mod:`core.fit`)."""
    config = TrainConfig(**values)
    if model_config is None or config.tasks:  # several heads: the one-task estimate is low
        return []
    device = default_device()
    estimate = estimate_memory(
        model_size(model_config), config.method, config.batch_size, config.max_length,
        precision, config.gradient_checkpointing,
    )  # fmt: skip
    reason = refusal(
        estimate, available_bytes(device), config.method, config.gradient_checkpointing
    )
    return [] if reason is None else [Problem(reason)]


def _task_problems(values: dict[str, Any]) -> list[Problem]:
    if not values.get("tasks"):
        return []
    name = values.get("method", TrainConfig.method)
    method = METHODS.get(str(name))
    if method is None:
        return []
    if not method.multitask:
        shared = " or ".join(n for n, m in METHODS.items() if m.multitask)
        message = say(
            "multi-task training shares one prompt between tasks; choose {shared} instead "
            "of {name}",
            shared=shared,
            name=name,
        )
        return [TrainConfig.problem("method", message)]
    if values.get("init_from"):
        message = say(
            "a multi-task run starts from fresh weights; leave 'start from adapter' empty"
        )
        return [TrainConfig.problem("init_from", message)]
    return []


@dataclass(frozen=True)
class ModelSupport:
    """What a base model is and which methods can train it (what the model picker shows)."""

    family: str
    """The model type (``config.model_type``), e.g. ``bert`` or ``qwen2``."""
    methods: dict[str, list[Message]]
    """Each method's reasons it cannot train this model (an empty list when it can)."""
    decoder_name: str | None = None
    """For a decoder-only model, the name people know its family by (``Qwen2``); None for an
    encoder, whose model type is already its name."""

    @property
    def usable(self) -> list[str]:
        return [name for name, reasons in self.methods.items() if not reasons]


def model_support(model: str | None) -> ModelSupport:
    """The model's family and each method's support for it; ModelLoadError when it cannot be
    read (a missing folder, an unknown hub id offline, an unsupported architecture)."""
    config = load_config(model or TrainConfig.model)
    methods = {name: method.model_problems(config) for name, method in METHODS.items()}
    return ModelSupport(
        str(config.model_type), methods, DECODER_FAMILIES.get(str(config.model_type))
    )
