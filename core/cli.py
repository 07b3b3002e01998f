"""What the command lines share: flags for every run setting, YAML files, progress output.

``python -m core.train``, ``python -m core.sweep`` and ``python -m core.fewshot`` build their
parsers here (:func:`build_parser`, :func:`group_parser`), read a run's settings from the flags
and a YAML file (:func:`config_from_args`), and print progress on standard error
(:class:`ProgressBar`, :class:`PointLines`). Library code never imports this module.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from core.checks import TRAIN_FIELDS, checked, nest_method_options
from core.config import TrainConfig, field_kind
from core.errors import ConfigError
from core.fit import available_bytes, run_line
from core.hardware import default_device
from core.methods import METHODS
from core.tasks import score_name
from core.training.events import (
    Evaluated,
    Event,
    PointFinished,
    RunEnded,
    RunStarted,
    TrainLogged,
)

# Short flags for the most used settings, beside the generated --long-name of every field.
ALIASES = {
    "model": ["--model"],
    "data": ["--data"],
    "time_budget_minutes": ["--time-budget"],
    "early_stopping_patience": ["--early-stopping"],
}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _type_of(f: dataclasses.Field) -> Any:
    kind = field_kind(f).name
    if kind == "bool":
        return lambda s: str(s).lower() in ("1", "true", "yes", "on")
    if kind == "int":
        return int
    if kind == "float":
        return float
    return str


def _argument_options(f: dataclasses.Field) -> dict[str, Any]:
    meta = f.metadata
    help_text = meta.get("help", "")
    if meta.get("min") is not None:
        help_text += f" ({meta['min']:g} to {meta['max']:g})"
    options = {"type": _type_of(f), "help": help_text, "default": None}
    options["metavar"] = f.name.upper()
    is_bool = field_kind(f).name == "bool"
    if is_bool:
        options.update(nargs="?", const=True)  # --flag alone means true; --flag false too
    if meta.get("choices") and not is_bool:
        options["choices"] = list(meta["choices"])
        del options["metavar"]
    return options


def method_fields() -> dict[str, dataclasses.Field]:
    fields: dict[str, dataclasses.Field] = {}
    for method in METHODS.values():
        for f in dataclasses.fields(method.config_cls):
            fields.setdefault(f.name, f)
    return fields


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core.train",
        description="Fine-tune an encoder or decoder classifier with a parameter-efficient method.",
    )
    parser.add_argument("--config", type=Path, help="YAML file with any of the settings below")
    parser.add_argument("--resume", type=Path, help="checkpoint folder of a run to continue")
    parser.add_argument("--db", type=Path, help="record the run in this PTune Studio database")
    parser.add_argument(
        "--resume-run", type=int, help="with --db: continue this run id from its checkpoint"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    for f in dataclasses.fields(TrainConfig):
        if f.name == "method_options":
            continue
        help_text = f.metadata.get("help", "")
        if f.name == "method":
            parser.add_argument("--method", choices=list(METHODS), help=help_text)
            continue
        flags = ALIASES.get(f.name, []) + [_flag(f.name)]
        options = _argument_options(f)
        if f.name == "data":  # given several times: one task per dataset (multi-task)
            options.update(action="append", help=help_text + " Repeat for multi-task training.")
        parser.add_argument(*dict.fromkeys(flags), dest=f.name, **options)
    group = parser.add_argument_group("method settings (each applies to the methods that have it)")
    for name, f in method_fields().items():
        group.add_argument(_flag(name), dest=f"m_{name}", **_argument_options(f))
    return parser


def group_parser(
    prog: str, description: str, not_for: dict[str, str], helps: dict[str, str]
) -> argparse.ArgumentParser:
    """This command's flags for the settings a group of runs shares (a sweep, a few-shot
    experiment): the flags in ``not_for`` hidden (the group sets them per run), ``helps``
    replacing the help of others (by destination)."""
    parser = build_parser()
    parser.prog, parser.description = prog, description
    for action in parser._actions:
        if action.dest in not_for:
            action.help = argparse.SUPPRESS
        elif action.dest in helps:
            action.help = helps[action.dest]
    return parser


def refuse_flags(args: argparse.Namespace, not_for: dict[str, str]) -> None:
    """ConfigError with the message of the first flag given that the command does not take."""
    for dest, message in not_for.items():
        if getattr(args, dest, None) is not None:
            raise ConfigError(message)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Merge the YAML file and the flags (flags win) into a checked TrainConfig.

    Raises :class:`ConfigError` (every problem at once, as :func:`core.checks.checked` finds
    them) when the settings cannot make a run.
    """
    values: dict[str, Any] = {}
    if args.config:
        try:
            loaded = yaml.safe_load(args.config.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {args.config}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{args.config} must hold a mapping of setting names to values")
        values.update(nest_method_options(loaded))
    options = values.pop("method_options", None) or {}
    if not isinstance(options, dict):
        raise ConfigError(f"method_options in {args.config} must map setting names to values")
    for name in TRAIN_FIELDS - {"method_options"}:
        if getattr(args, name, None) is not None:
            values[name] = getattr(args, name)
    if isinstance(values.get("data"), list):
        sources = values.pop("data")
        if len(sources) == 1:
            values["data"] = sources[0]
        else:
            values["tasks"] = tasks_from_paths(sources)
    flags = {
        n: getattr(args, f"m_{n}") for n in method_fields() if getattr(args, f"m_{n}") is not None
    }
    method = values.get("method", TrainConfig.method)
    if method in METHODS:  # named as flags here; settings from the file are checked below
        own = {f.name for f in dataclasses.fields(METHODS[method].config_cls)}
        stray = sorted(set(flags) - own)
        if stray:
            raise ConfigError(
                f"{', '.join(_flag(s) for s in stray)} does not apply to method {method}; "
                f"its settings are {', '.join(_flag(s) for s in sorted(own)) or 'none'}"
            )
    values["method_options"] = {**options, **flags}
    return checked(values).config  # type: ignore[return-value]


def tasks_from_paths(sources: list[str]) -> dict[str, str]:
    """Task names for datasets given by several --data flags: their file or folder names."""
    tasks: dict[str, str] = {}
    for source in sources:
        stem = Path(source).stem if Path(source).suffix else Path(source).name
        name = "".join(c if c.isalnum() or c in "_-." else "_" for c in stem) or "task"
        unique, n = name, 2
        while unique in tasks:
            unique, n = f"{name}_{n}", n + 1
        tasks[unique] = source
    return tasks


class ProgressBar:
    """tqdm on standard error, fed by the engine's events; the start event's warnings go there
    too, as `warning: ...` lines."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None
        self.planned: tuple[TrainConfig, float] | None = None

    def plan(self, config: TrainConfig) -> None:
        """Print the run's estimate (:mod:`core.fit`) when it starts, against the memory
        available now, before it loads anything."""
        self.planned = (config, available_bytes(default_device()))

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):  # warnings show with or without the bar (--quiet)
            for warning in event.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            if event.data.get("task"):
                print(f"task: {event.data['task']} ({event.data.get('task_reason')})",
                      file=sys.stderr)  # fmt: skip
            if self.planned is not None:
                config, available = self.planned
                line = run_line(config, available, event.train_rows, event.max_length,
                                event.mean_tokens, event.precision, event.device)  # fmt: skip
                print(line, file=sys.stderr)
        if not self.enabled:
            return
        if isinstance(event, RunStarted):
            self.bar = tqdm(total=event.total_steps, file=sys.stderr, unit="step",
                            desc=event.method)  # fmt: skip
        elif self.bar is None:
            return
        elif isinstance(event, TrainLogged):
            self.bar.total = event.total_steps
            self.bar.update(event.step - self.bar.n)
            self.bar.set_postfix(loss=f"{event.loss:.4f}", sps=f"{event.samples_per_second:.0f}")
        elif isinstance(event, Evaluated):
            self.bar.write(eval_line(event.step, event.metrics), file=sys.stderr)
        elif isinstance(event, RunEnded):
            self.bar.close()


def eval_line(step: int, m: dict[str, Any]) -> str:
    """One evaluation as a line: accuracy and macro-F1, or for several labels per text
    exact-match accuracy with macro- and micro-F1."""
    if "eval_pearson" in m:
        return (
            f"step {step}: eval Pearson {m['eval_pearson']:.4f}, Spearman "
            f"{m['eval_spearman']:.4f}, MSE {m['eval_mse']:.4f}, MAE {m['eval_mae']:.4f}"
        )
    if "eval_micro_f1" in m:
        return (
            f"step {step}: eval macro-F1 {m['eval_f1']:.4f}, micro-F1 {m['eval_micro_f1']:.4f}, "
            f"exact match {m['eval_accuracy']:.4f}, loss {m['eval_loss']:.4f}"
        )
    return (
        f"step {step}: eval accuracy {m['eval_accuracy']:.4f}, "
        f"F1 {m['eval_f1']:.4f}, loss {m['eval_loss']:.4f}"
    )


class PointLines:
    """One line on standard error per finished run of a group (a sweep, a few-shot
    experiment), beside the runs' own progress bars: ``run 3 of 12 (POINT): STATUS, accuracy
    0.8400``, the score the run's task ranks by named (``Pearson 0.6100``, ``macro-F1 ...``).

    ``point`` says which run a finished point's result was; ``always`` prints the lines under
    ``--quiet`` too (which only hides the progress bars).
    """

    def __init__(
        self, enabled: bool, point: Callable[[dict[str, Any]], str], always: bool = False
    ) -> None:
        self.enabled = enabled or always
        self.point = point
        self.bar = ProgressBar(enabled)

    def __call__(self, event: Event) -> None:
        self.bar(event)
        if self.enabled and isinstance(event, PointFinished):
            result = event.result
            value = result.get("score")
            score = "" if value is None else f", {score_name(result.get('task'))} {value:.4f}"
            print(
                f"run {event.index + 1} of {event.total} ({self.point(result)}): "
                f"{result['status']}{score}",
                file=sys.stderr,
            )
