"""``python -m core.fewshot``: a learning curve from the command line.

``python -m core.fewshot --data X --methods ptuning_v2,lora --shots 8,16,32,all --seeds 3``,
with any flag of ``python -m core.train`` for the shared settings (dataset, model, batch size,
precision...). One line per finished run goes to standard error; the last line of standard
output is one JSON object whose ``curve`` has one entry per method and size (the mean score and
its spread over the seeds, ``score_*``: the score the task ranks runs by, accuracy for one label
per text). ``--resume-experiment ID`` trains what a stopped or interrupted experiment has left.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from core import cli
from core.errors import ConfigError, PTuneError
from core.fewshot.plan import (
    DEFAULT_BATCH,
    DEFAULT_EVAL_ROWS,
    DEFAULT_METHODS,
    DEFAULT_SEEDS,
    DEFAULT_SHOTS,
    DEFAULT_STEPS,
    FewShotConfig,
    read_methods,
    read_shots,
)
from core.fewshot.run import run_fewshot
from core.runs import lead_or_follow
from core.training.ranks import StopSignal
from storage.errors import StorageError
from storage.store import Store

NOT_FOR_FEWSHOT = {
    "method": "--method does not apply; give the methods to compare with --methods",
    "lr": "--lr does not apply; every method trains with its default learning rate",
    "max_steps": "--max-steps does not apply; give the steps of every run with --steps",
    "epochs": "--epochs does not apply; every run trains --steps steps",
    "time_budget_minutes": "--time-budget does not apply; every run trains --steps steps",
    "shots_per_class": "--shots-per-class does not apply; give the sizes with --shots",
    "max_train_rows": "--max-train-rows does not apply; give the sizes with --shots",
    "eval_every": "--eval-every does not apply; every run is evaluated once, at its end",
    "keep_best": "--keep-best does not apply; every run keeps its last weights",
    "early_stopping_patience": "--early-stopping does not apply; every run trains --steps steps",
    "resume": "--resume does not apply; resume an experiment with --resume-experiment",
    "resume_run": "--resume-run does not apply; resume an experiment with --resume-experiment",
    "init_from": "--init-from does not apply; every run starts fresh",
    "out": "--out does not apply; each run gets its own folder beside the database",
}


def build_parser() -> argparse.ArgumentParser:
    """``python -m core.train``'s flags for the shared settings, plus the plan."""
    hidden = {**NOT_FOR_FEWSHOT, **{f"m_{name}": "" for name in cli.method_fields()}}
    parser = cli.group_parser(
        "python -m core.fewshot",
        "How much data does a method need? Train every method on k examples per class, for "
        "several k and seeds, and report each method's score (accuracy; several labels: "
        "macro-F1; a score: Pearson; tagged words: entity F1) against k, recorded as a few-shot "
        "experiment in the PTune Studio database.",
        hidden,
        {
            "db": "the PTune Studio database (default: the one the app uses)",
            "name": "a name for the experiment",
            "batch_size": f"examples per optimizer step (default here: {DEFAULT_BATCH})",
            "eval_sample_rows": "evaluate on at most this many validation (and test) rows, the "
            f"same for every run (default here: {DEFAULT_EVAL_ROWS})",
        },
    )
    group = parser.add_argument_group("few-shot experiment")
    group.add_argument(
        "--methods", default=",".join(DEFAULT_METHODS),
        help="methods to compare, comma-separated (default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--shots", default=",".join(map(str, DEFAULT_SHOTS)),
        help="training examples per class, comma-separated; 'all' trains on every row "
        "(default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS,
        help="runs per method and size, each with its own sample (default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--steps", type=int, default=DEFAULT_STEPS,
        help="optimizer steps of every run (default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--resume-experiment", type=int, metavar="ID",
        help="with --db: train what this stopped or interrupted experiment has left",
    )  # fmt: skip
    return parser


def config_from_args(args: argparse.Namespace) -> FewShotConfig:
    """The experiment the flags describe; ConfigError naming every problem."""
    cli.refuse_flags(args, NOT_FOR_FEWSHOT)
    stray = [name for name in cli.method_fields() if getattr(args, f"m_{name}", None) is not None]
    if stray:
        raise ConfigError(
            f"--{stray[0].replace('_', '-')} does not apply; every method runs with its "
            "default settings"
        )
    if args.batch_size is None:
        args.batch_size = DEFAULT_BATCH
    if args.eval_sample_rows is None:
        args.eval_sample_rows = DEFAULT_EVAL_ROWS
    base = cli.config_from_args(args)
    methods, problems = read_methods(args.methods)
    shots, shot_problems = read_shots(args.shots)
    problems += shot_problems
    if problems:
        raise ConfigError("; ".join(problems))
    return FewShotConfig(base=base, methods=tuple(methods), shots=tuple(shots),
                         seeds=args.seeds, steps=args.steps, name=base.name)  # fmt: skip


def _point(result: dict[str, Any]) -> str:
    return f"{result['method']}, k={result['shots']}, seed {result['seed']}"


def _resume_args(args: argparse.Namespace) -> None:
    if not args.db:
        raise ConfigError("--resume-experiment continues an experiment in a database; add --db")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return lead_or_follow(lambda signals: lead(args, signals))


def lead(args: argparse.Namespace, signals: StopSignal) -> int:
    """The experiment, recorded (by the main process under torchrun); the exit status."""
    began = time.monotonic()
    try:
        if args.resume_experiment is not None:
            _resume_args(args)
            store, config = Store(args.db, create=False), None
        else:
            config = config_from_args(args)
            store = Store(args.db)
        lines = cli.PointLines(not args.quiet, _point, always=True)
        outcome = run_fewshot(store, config, lines, args.resume_experiment, signals)  # type: ignore[arg-type]
    except (PTuneError, StorageError, TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in outcome.get("notes") or []:
        print(f"note: {note}", file=sys.stderr)
    line = {"experiment_id": outcome.get("experiment_id"), "db": str(store.path),
            "seconds": round(time.monotonic() - began, 1)}  # fmt: skip
    line.update({key: outcome.get(key) for key in ("status", "error", "task", "curve", "runs")})
    print(json.dumps(line), flush=True)
    if outcome.get("status") == "failed":
        print(f"error: {outcome.get('error')}", file=sys.stderr)
        return 1
    return 0
