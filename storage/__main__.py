"""``python -m storage list|show|export|import|delete``: the run database from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from .connection import default_db_path
from .store import Store


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see `python -m storage --help`)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    """The command line parser."""
    db_help = (
        "database file (default: $PTUNE_HOME/studio.db, else ~/.ptune-studio/studio.db; "
        f"here {default_db_path()})"
    )
    common = _Parser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=db_help)
    parser = _Parser(
        prog="python -m storage", description="List, show, export, import and delete runs."
    )
    parser.add_argument("--db", type=Path, default=None, help=db_help)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", parents=[common], help="a table of the runs, newest first")
    ls.add_argument("--status", help="only runs with this status")
    ls.add_argument("--limit", type=int, help="at most this many runs")
    show = sub.add_parser("show", parents=[common], help="print one run as JSON")
    show.add_argument("id", type=int)
    export = sub.add_parser("export", parents=[common], help="write a run to a zip file")
    export.add_argument("id", type=int)
    export.add_argument("out", type=Path)
    imp = sub.add_parser("import", parents=[common], help="add a run from an exported zip")
    imp.add_argument("file", type=Path)
    delete = sub.add_parser("delete", parents=[common], help="delete a run (no confirmation)")
    delete.add_argument("id", type=int)
    return parser


def _accuracy(run: dict[str, Any]) -> str:
    value = (run.get("metrics") or {}).get("eval_accuracy")
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def format_table(runs: list[dict[str, Any]]) -> str:
    """Runs as an aligned text table."""
    header = ("id", "name", "method", "status", "accuracy", "created")
    rows = [
        (str(r["id"]), r["name"], r["method"], r["status"], _accuracy(r), r["created_at"][:19])
        for r in runs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


READ_ONLY = ("list", "show", "export")
"""Commands that only read: they never create, upgrade or switch a database file."""


def open_store(args: argparse.Namespace) -> Store:
    """The store the command works on.

    Only ``import`` may create a database (in a missing or empty file); the read-only commands
    read an existing one as it stands; ``delete`` needs an existing one. A file that is not a
    PTune Studio database is refused by every command and left as it is.
    """
    if args.command == "import":
        return Store(args.db)
    return Store(args.db, create=False, upgrade=args.command not in READ_ONLY)


def run_command(args: argparse.Namespace) -> None:
    """Carry out one parsed command, printing its result."""
    with open_store(args) as store:
        if args.command == "list":
            runs = store.list_runs(status=args.status, limit=args.limit)
            print(format_table(runs) if runs else "no runs yet")
        elif args.command == "show":
            print(json.dumps(store.get_run(args.id), indent=2, ensure_ascii=False))
        elif args.command == "export":
            print(store.export_run(args.id, args.out))
        elif args.command == "import":
            print(store.import_run(args.file))
        elif args.command == "delete":
            store.delete_run(args.id)
            print(f"deleted run {args.id}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; 0 on success, 2 with one ``error: ...`` line on stderr otherwise."""
    args = build_parser().parse_args(argv)
    try:
        run_command(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a person reads this: never a traceback
        message = str(error) or type(error).__name__
        print(f"error: {message}".replace("\n", " "), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
