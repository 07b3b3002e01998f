"""``python -m core.sweep``: a grid of prompt length x learning rate from the command line.

``python -m core.sweep --method ptuning_v2 --data X --lengths 10,20,30 --lrs 0.01,0.003`` with
any flag of ``python -m core.train`` for the shared settings; the last line of standard output
is one JSON object with every run's result and the best.
"""

from __future__ import annotations

import argparse
import json
import sys

from core import cli
from core.errors import PTuneError
from core.runs import lead_or_follow
from core.sweep.grid import DEFAULT_LENGTHS, LENGTH, SweepConfig, parse_lengths, parse_lrs
from core.sweep.run import run_sweep
from core.training.ranks import StopSignal
from storage.errors import StorageError
from storage.store import Store

NOT_FOR_SWEEPS = {
    "lr": "--lr does not apply to a sweep; give the learning rates with --lrs",
    f"m_{LENGTH}": "--num-virtual-tokens does not apply to a sweep; give them with --lengths",
    "resume": "--resume does not apply to a sweep; start the sweep again",
    "resume_run": "--resume-run does not apply to a sweep; resume a single run with core.train",
    "out": "--out does not apply to a sweep; each run gets its own folder beside the database",
}


def build_parser() -> argparse.ArgumentParser:
    """``python -m core.train``'s flags for the shared settings, plus the grid."""
    parser = cli.group_parser(
        "python -m core.sweep",
        "Train one run per prompt length x learning rate of a prompt method, one after "
        "another, recorded as a sweep in the PTune Studio database.",
        NOT_FOR_SWEEPS,
        {
            "db": "the PTune Studio database (default: the one the app uses)",
            "name": "a name for the sweep",
        },  # fmt: skip
    )
    group = parser.add_argument_group("sweep")
    group.add_argument(
        "--lengths", default=",".join(map(str, DEFAULT_LENGTHS)),
        help="prompt lengths to try, comma-separated (default: %(default)s)",
    )  # fmt: skip
    group.add_argument(
        "--lrs", default="", help="learning rates to try, comma-separated (default: three "
        "around the method's default learning rate)",
    )  # fmt: skip
    return parser


def config_from_args(args: argparse.Namespace) -> SweepConfig:
    """The sweep described by the flags (ConfigError for flags a sweep does not take)."""
    cli.refuse_flags(args, NOT_FOR_SWEEPS)
    base = cli.config_from_args(args)
    lrs = parse_lrs(args.lrs) if args.lrs.strip() else None
    return SweepConfig(base=base, method=base.method, lengths=tuple(parse_lengths(args.lengths)),
                       lrs=None if lrs is None else tuple(lrs), name=base.name)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return lead_or_follow(lambda signals: lead(args, signals))


def lead(args: argparse.Namespace, signals: StopSignal) -> int:
    """The sweep, recorded (by the main process under torchrun); the exit status."""
    try:
        config = config_from_args(args)
        store = Store(args.db)
        outcome = run_sweep(
            store,
            config,
            cli.PointLines(not args.quiet, lambda r: f"P={r[LENGTH]}, lr={r['lr']:g}"),
            signals,
        )
    except (PTuneError, StorageError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    line = {"sweep_id": outcome.get("sweep_id"), "db": str(store.path)}
    line.update({key: outcome.get(key) for key in ("status", "runs", "best")})
    print(json.dumps(line), flush=True)
    if outcome.get("status") == "failed":
        print(f"error: {outcome.get('error')}", file=sys.stderr)
        return 1
    return 0
