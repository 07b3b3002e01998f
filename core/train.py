"""Command line: ``python -m core.train --method ptuning_v2 --data reviews.csv``.

Prints a progress bar on standard error and, as the last line of standard output, one JSON
object summarising the run. ``--config FILE.yaml`` supplies any setting; flags override it; the
flags are those of :mod:`core.cli`. ``--db`` records the run in a PTune Studio database.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, cast

from core.cli import ProgressBar, build_parser, config_from_args
from core.config import TrainConfig
from core.errors import ConfigError, PTuneError
from storage.errors import StorageError


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = None if args.resume_run is not None else config_from_args(args)
        if args.resume_run is not None and not args.db:
            raise ConfigError("--resume-run continues a run recorded in a database; add --db")
    except (ConfigError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from core.runs import train_unrecorded
    from core.training.launch import processes

    # Under accelerate launch the main process speaks for the run: the other processes train
    # their part of every batch and show neither a progress bar nor a summary.
    main_process = processes().is_main_process
    callback = ProgressBar(main_process and not args.quiet)
    try:
        if args.db:
            summary = run_recorded(config, callback, args)
        else:
            summary = train_unrecorded(cast(TrainConfig, config), callback, resume_from=args.resume)
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
    config: TrainConfig | None, callback: ProgressBar, args: argparse.Namespace
) -> dict[str, Any]:
    """Train with the run recorded in the database at ``--db``, or continue the run
    ``--resume-run`` names there with its own recorded settings (``config`` is then None).

    Under accelerate launch only the main process records the run; the others train unrecorded
    beside it (see :func:`follow_recorded`).
    """
    from core import runs
    from core.training.launch import processes
    from storage.store import Store

    state = processes()
    if not state.is_main_process:
        state.wait_for_everyone()
        return follow_recorded(config, args)
    store = Store(args.db)
    state.wait_for_everyone()  # the database exists before another process reads it
    if args.resume_run is not None:
        handle = runs.resume(store, args.resume_run, callback)
    else:
        handle = runs.start(store, cast(TrainConfig, config), callback)
    summary = runs.wait_or_stop(handle)
    return {**(summary or {}), "run_id": handle.run_id, "db": str(store.path)}


def follow_recorded(config: TrainConfig | None, args: argparse.Namespace) -> dict[str, Any]:
    """A non-main process's share of a recorded run: the same training, written nowhere.

    A resumed run reads its settings and checkpoint from the database, as the main process does.
    """
    from core.runs import train_unrecorded
    from storage.store import Store

    if args.resume_run is None:
        return train_unrecorded(cast(TrainConfig, config))
    store = Store(args.db)
    try:
        run = store.get_run(args.resume_run)
        checkpoint = store.checkpoint_path(args.resume_run)
    finally:
        store.close()
    return train_unrecorded(TrainConfig.from_stored(run["config"]), resume_from=checkpoint)


if __name__ == "__main__":
    sys.exit(main())
