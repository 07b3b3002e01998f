"""``python -m core.serve ADAPTER_FOLDER --port 8000``: the command line of the model server."""

from __future__ import annotations

import argparse
import os
import sys

from core.errors import PTuneError
from core.serve.checks import DEFAULT_PORT, MAX_CHARS, MAX_TEXTS, TOKEN_ENV
from core.serve.server import make_server

# Messages here stay plain English: they name command-line flags and are read in a terminal.


def parser() -> argparse.ArgumentParser:
    """The command line's flags."""
    parser = argparse.ArgumentParser(
        prog="python -m core.serve",
        description='Serve a trained adapter folder: POST /predict with {"texts": [...]}.',
    )
    parser.add_argument("adapter", help="the adapter folder a run wrote (has ptune_adapter.json)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default 8000)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); any other than loopback needs --token",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"require 'Authorization: Bearer TOKEN' on every request (default ${TOKEN_ENV})",
    )
    parser.add_argument("--max-texts", type=int, default=MAX_TEXTS,
                        help=f"texts one request may hold (default {MAX_TEXTS})")  # fmt: skip
    parser.add_argument("--max-chars", type=int, default=MAX_CHARS,
                        help=f"characters one text may hold (default {MAX_CHARS:,})")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl+C; 1 when the server cannot start (the reason on stderr)."""
    args = parser().parse_args(argv)
    try:
        server = make_server(args.adapter, args.host, args.port, args.token, args.max_texts,
                             args.max_chars, quiet=args.quiet)  # fmt: skip
    except PTuneError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Serving {args.adapter} on {server.url}/predict (Ctrl+C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
