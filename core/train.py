"""Command line: ``python -m core.train --method ptuning_v2 --data reviews.csv``.

Prints a progress bar on standard error and, as the last line of standard output, one JSON
object summarising the run. ``--config FILE.yaml`` supplies any setting; flags override it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import yaml
from tqdm import tqdm

from core.checks import TRAIN_FIELDS, checked, nest_method_options
from core.config import TrainConfig, field_kind
from core.errors import ConfigError, PTuneError
from core.methods import METHODS
from storage.errors import StorageError

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
        description="Fine-tune an encoder classifier with a parameter-efficient method.",
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

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "start":  # warnings are shown with or without the bar (--quiet)
            for warning in event.get("warnings", []):
                print(f"warning: {warning}", file=sys.stderr)
        if not self.enabled:
            return
        if kind == "start":
            self.bar = tqdm(
                total=event["total_steps"], file=sys.stderr, unit="step", desc=event["method"]
            )
        elif kind == "train" and self.bar is not None:
            self.bar.total = event["total_steps"]
            self.bar.update(event["step"] - self.bar.n)
            self.bar.set_postfix(
                loss=f"{event['loss']:.4f}", sps=f"{event['samples_per_second']:.0f}"
            )
        elif kind == "eval" and self.bar is not None:
            self.bar.write(
                f"step {event['step']}: eval accuracy {event['eval_accuracy']:.4f}, "
                f"F1 {event['eval_f1']:.4f}, loss {event['eval_loss']:.4f}",
                file=sys.stderr,
            )
        elif kind == "end" and self.bar is not None:
            self.bar.close()


class PointLines:
    """One line on standard error per finished run of a group (a sweep, a few-shot
    experiment), beside the runs' own progress bars: ``run 3 of 12 (POINT): STATUS, accuracy``.

    ``event`` is the group's event for a finished run, ``point`` says which run it was;
    ``always`` prints the lines under ``--quiet`` too (which only hides the progress bars).
    """

    def __init__(
        self, enabled: bool, event: str, point: Callable[[dict[str, Any]], str],
        always: bool = False,
    ) -> None:  # fmt: skip
        self.enabled = enabled or always
        self.event = event
        self.point = point
        self.bar = ProgressBar(enabled)

    def __call__(self, event: dict[str, Any]) -> None:
        self.bar(event)
        if self.enabled and event["type"] == self.event:
            accuracy = event["eval_accuracy"]
            score = "" if accuracy is None else f", accuracy {accuracy:.4f}"
            print(
                f"run {event['index'] + 1} of {event['total']} ({self.point(event)}): "
                f"{event['status']}{score}",
                file=sys.stderr,
            )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = None if args.resume_run is not None else config_from_args(args)
        if args.resume_run is not None and not args.db:
            raise ConfigError("--resume-run continues a run recorded in a database; add --db")
    except (ConfigError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from core.training.launch import processes, train

    # Under accelerate launch the main process speaks for the run: the other processes train
    # their part of every batch and show neither a progress bar nor a summary.
    main_process = processes().is_main_process
    callback = ProgressBar(main_process and not args.quiet)
    try:
        if args.db:
            summary = run_recorded(config, callback, args)
        else:
            summary = train(cast(TrainConfig, config), callback, resume_from=args.resume)
    except (PTuneError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if main_process:
        print(json.dumps(summary))
    if summary.get("status") == "failed":
        print(f"error: {summary.get('error')}", file=sys.stderr)
        return 1
    return 0


def run_recorded(
    config: TrainConfig | None, callback: Any, args: argparse.Namespace
) -> dict[str, Any]:
    """Train with the run recorded in the database at ``--db``, or continue the run
    ``--resume-run`` names there with its own recorded settings (``config`` is then None).

    Under accelerate launch only the main process records the run; the others train unrecorded
    beside it (see :func:`follow_recorded`).
    """
    from core.training.launch import processes
    from core.training.recording import resume_recorded, start_recorded
    from storage.store import Store

    state = processes()
    if not state.is_main_process:
        state.wait_for_everyone()
        return follow_recorded(config, args)
    store = Store(args.db)
    state.wait_for_everyone()  # the database exists before another process reads it
    if args.resume_run is not None:
        run_id, handle = args.resume_run, resume_recorded(store, args.resume_run, callback)
    else:
        run_id, handle = start_recorded(store, cast(TrainConfig, config), callback)
    try:
        summary = handle.wait()
    except KeyboardInterrupt:
        handle.stop()
        summary = handle.wait()
    return {**(summary or {}), "run_id": run_id, "db": str(store.path)}


def follow_recorded(config: TrainConfig | None, args: argparse.Namespace) -> dict[str, Any]:
    """A non-main process's share of a recorded run: the same training, written nowhere.

    A resumed run reads its settings and checkpoint from the database, as the main process does.
    """
    from core.training.launch import train
    from storage.store import Store

    if args.resume_run is None:
        return train(cast(TrainConfig, config))
    store = Store(args.db)
    try:
        run = store.get_run(args.resume_run)
        checkpoint = store.checkpoint_path(args.resume_run)
    finally:
        store.close()
    return train(TrainConfig.from_stored(run["config"]), resume_from=checkpoint)


if __name__ == "__main__":
    sys.exit(main())
