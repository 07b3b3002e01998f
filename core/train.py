"""Command line: ``python -m core.train --method ptuning_v2 --data reviews.csv``.

Prints a progress bar on standard error and, as the last line of standard output, one JSON
object summarising the run. ``--config FILE.yaml`` supplies any setting; flags override it; the
flags are those of :mod:`core.cli`. ``--db`` records the run in a PTune Studio database.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, cast

from core.cli import ProgressBar, build_parser, config_from_args
from core.config import TrainConfig
from core.errors import ConfigError, PTuneError
from storage.errors import StorageError

if TYPE_CHECKING:  # torch loads after the flags are read, so that --help stays quick
    from core.training.ranks import StopSignal


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = None if args.resume_run is not None else config_from_args(args)
        if args.resume_run is not None and not args.db:
            raise ConfigError("--resume-run continues a run recorded in a database; add --db")
    except (ConfigError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from core.training.launch import joined
    from core.training.ranks import StopSignal, stop_on_signals

    # Under torchrun (or accelerate launch) the main process speaks for the run: the others
    # train what it trains and show neither a progress bar nor a summary. A Ctrl-C or SIGTERM
    # reaching any of them stops them all at a step boundary, the adapter saved.
    # (The handlers stay until the summary is out: torchrun stops the other processes as soon
    # as one of them ends with an error.)
    with joined() as state, stop_on_signals(StopSignal()) as signals:
        main_process = state.is_main_process
        callback = ProgressBar(main_process and not args.quiet)
        try:
            summary = lead(config, callback, args, signals) if main_process else follow(signals)
        except (PTuneError, StorageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if main_process:
            print(json.dumps(summary), flush=True)
        if summary.get("status") == "failed":
            print(f"error: {summary.get('error')}", file=sys.stderr)
            return 1
        return 0


def lead(
    config: TrainConfig | None, callback: ProgressBar, args: argparse.Namespace,
    signals: StopSignal,
) -> dict[str, Any]:  # fmt: skip
    """The main process's run (the only process's, alone): recorded with ``--db``, else not.

    The other processes are told the run it trains (:func:`core.training.ranks.announce`),
    and that nothing more comes when it ends, however it ends.
    """
    import threading

    from core.runs import train_unrecorded
    from core.training.ranks import leading

    if config is not None:  # a resumed run's settings are read from the database later
        callback.plan(config)
    with leading():
        if args.db:
            return run_recorded(config, callback, args, signals)
        stop = threading.Event()
        signals.attach(stop.set)
        return train_unrecorded(cast(TrainConfig, config), callback, stop, args.resume)


def follow(signals: StopSignal) -> dict[str, Any]:
    """Another process's share: the same training as the main process, written nowhere."""
    from core.runs import follow_main

    return follow_main(signals) or {}


def run_recorded(
    config: TrainConfig | None, callback: ProgressBar, args: argparse.Namespace,
    signals: StopSignal,
) -> dict[str, Any]:  # fmt: skip
    """Train with the run recorded in the database at ``--db``, or continue the run
    ``--resume-run`` names there with its own recorded settings (``config`` is then None).

    Under torchrun only the main process records the run; the others train what it announces
    (see :func:`follow`).
    """
    from core import runs
    from storage.store import Store

    store = Store(args.db)
    if args.resume_run is not None:
        handle = runs.resume(store, args.resume_run, callback)
    else:
        handle = runs.start(store, cast(TrainConfig, config), callback)
    summary = runs.wait_or_stop(handle, signals)
    return {**(summary or {}), "run_id": handle.run_id, "db": str(store.path)}


if __name__ == "__main__":
    sys.exit(main())
