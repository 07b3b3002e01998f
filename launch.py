"""Start PTune Studio in the browser: ``python launch.py`` (http://127.0.0.1:7860).

Serving beyond this machine (``--host 0.0.0.0``) needs ``--auth user:password``. The app
answers only to the host names it is reached by (``--allowed-host`` adds one), and caps what one
person may send (``--max-upload-mb`` and the other limits of :class:`app.server.limits.Limits`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.server.guard import check_host_name, is_loopback
from app.server.limits import Limits, limit_fields


def parse_auth(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise argparse.ArgumentTypeError("use --auth user:password (both parts non-empty)")
    return user, password


def parse_allowed_host(value: str) -> str:
    try:
        return check_host_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from storage.connection import default_db_path

    parser = argparse.ArgumentParser(
        prog="python launch.py", description="Start the PTune Studio web app."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    parser.add_argument(
        "--db", type=Path, default=None, help=f"run database (default: {default_db_path()})"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder whose datasets the picker lists; the browser and the API read local files "
        "only from here and the database's folder (datasets also from the uploads)",
    )
    parser.add_argument(
        "--auth", type=parse_auth, default=None, metavar="USER:PASSWORD",
        help="require this login (required when --host is not a loopback address)",
    )  # fmt: skip
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="interface language")
    parser.add_argument(
        "--allowed-host", action="append", default=[], type=parse_allowed_host, metavar="NAME",
        help="a further host name the app answers to (repeatable), e.g. the name of a reverse "
        "proxy in front of it; loopback names, and with --host 0.0.0.0 IP addresses and this "
        "machine's names, are always answered",
    )  # fmt: skip
    limits = parser.add_argument_group("limits", "what one person may send the app")
    for spec in limit_fields():
        limits.add_argument(
            spec.metadata["flag"], dest=spec.name, type=int, default=spec.default, metavar="N",
            help=f"{spec.metadata['help']} (default {spec.default:,})",
        )  # fmt: skip
    return parser


def limits_of(args: argparse.Namespace) -> Limits:
    """The :class:`Limits` the flags give; ValueError naming a flag that is not 1 or more."""
    return Limits(**{spec.name: getattr(args, spec.name) for spec in limit_fields()})


def check_args(args: argparse.Namespace) -> None:
    """Raise ValueError for settings that must not start a server."""
    if not is_loopback(args.host) and args.auth is None:
        raise ValueError(
            f"refusing to serve on {args.host} without a login: anyone who can reach this "
            "machine could train models and read your data. Add --auth user:password, or "
            "use --host 127.0.0.1 to serve only this machine."
        )
    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port} is not a valid port (1-65535)")
    if args.data_dir is not None and not args.data_dir.expanduser().is_dir():
        raise ValueError(f"--data-dir {args.data_dir} is not a folder")
    limits_of(args)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        check_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from app import create_app, launch_options
    from core.errors import PTuneError
    from storage.errors import StorageError

    limits = limits_of(args)
    try:
        demo = create_app(db=args.db, data_dir=args.data_dir, lang=args.lang, limits=limits)
    except (PTuneError, StorageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = launch_options(
        args.lang, host=args.host, allowed_hosts=args.allowed_host, limits=limits
    )
    from core.memory import freeze_loaded

    freeze_loaded()  # the app's libraries are loaded: collections need not walk them again
    demo.launch(server_name=args.host, server_port=args.port, auth=args.auth, **options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
