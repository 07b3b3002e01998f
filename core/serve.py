"""One trained classifier over HTTP: ``python -m core.serve ADAPTER_FOLDER --port 8000``.

``POST /predict`` with ``{"texts": ["a text", ...]}`` (header ``Content-Type:
application/json``) answers ``{"predictions": [{"label", "score", "probabilities"}, ...]}``,
one per text in order, as :class:`core.analysis.predict.Predictor` gives them. ``GET /health``
tells the method, the labels and the caps. Any other path is 404.

Requests that arrive together are combined into one forward pass by the predictor's worker
(:mod:`core.analysis.batcher`, as in the app), so many small callers cost little more than one
large one.

Safety: the server binds 127.0.0.1 unless told otherwise. On a loopback address it answers only
requests addressed to a loopback name (``Host``), so a web page cannot reach it through a
rebound DNS name; the JSON content type it requires makes a browser ask first (CORS preflight),
which it never grants, so other sites' pages cannot post to it either. Any other ``--host``
needs ``--token`` (or ``PTUNE_SERVE_TOKEN``): every request must then carry
``Authorization: Bearer TOKEN``, since anyone on the network could otherwise use the machine.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import json
import os
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.errors import ConfigError, PTuneError

# Every message here stays plain English: the 4xx answers go to HTTP clients and the
# ConfigErrors name command-line flags; none of them reaches the app's interface.

DEFAULT_PORT = 8000
MAX_TEXTS = 64
"""Texts one request may hold (``--max-texts``)."""
MAX_CHARS = 10_000
"""Characters one text may hold (``--max-chars``); the app's own default cap."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TOKEN_ENV = "PTUNE_SERVE_TOKEN"


class BadRequest(ValueError):
    """A request the server refuses; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- requests
def read_texts(body: bytes, max_texts: int, max_chars: int) -> list[str]:
    """The texts of a ``{"texts": [...]}`` body; :class:`BadRequest` saying what is wrong."""
    example = 'send {"texts": ["first text", "second text"]}'
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the body is not JSON ({exc}); {example}") from exc
    if not isinstance(data, dict) or "texts" not in data:
        raise BadRequest(f'the body has no "texts"; {example}')
    texts = data["texts"]
    if not isinstance(texts, list):
        raise BadRequest(f'"texts" must be a list of strings, not {_json_type(texts)}; {example}')
    if not texts:
        raise BadRequest('"texts" is empty; send at least one text')
    if len(texts) > max_texts:
        raise BadRequest(
            f"{len(texts)} texts are more than the {max_texts} one request may hold "
            "(--max-texts); send them over several requests"
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadRequest(f"texts[{i}] is {_json_type(text)}, not a string; {example}")
        if len(text) > max_chars:
            raise BadRequest(
                f"texts[{i}] has {len(text):,} characters, more than the {max_chars:,} allowed "
                "(--max-chars); shorten it"
            )
    return texts


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false",
             int: "a number", float: "a number", type(None): "null"}  # fmt: skip
    return names.get(type(value), type(value).__name__)


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without the port ("[::1]:8000" -> "::1")."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


# ----------------------------------------------------------------------------- server
class PredictServer(ThreadingHTTPServer):
    """A threading HTTP server around one adapter; build it with :func:`make_server`."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        folder: Path,
        predict: Callable[[list[str]], list[dict[str, Any]]],
        info: dict[str, Any],
        token: str | None,
        max_texts: int,
        max_chars: int,
        quiet: bool,
    ) -> None:
        self.folder = folder
        self.predict = predict
        self.info = info
        self.token = token
        self.max_texts = max_texts
        self.max_chars = max_chars
        self.quiet = quiet
        self.loopback_only = is_loopback(address[0])
        super().__init__(address, Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    @property
    def max_body(self) -> int:
        # UTF-8 takes at most 4 bytes a character, JSON escapes 6 (\uXXXX); plus room for syntax.
        return self.max_texts * (self.max_chars * 6 + 16) + 1024


class Handler(BaseHTTPRequestHandler):
    server: PredictServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer(self._get)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer(self._post)

    def _get(self) -> tuple[int, Any]:
        if self.path == "/health":
            return 200, self.server.info
        if self.path == "/predict":
            raise BadRequest('/predict takes POST with {"texts": [...]}', 405)
        raise BadRequest(f"no such path {self.path}; use POST /predict or GET /health", 404)

    def _post(self) -> tuple[int, Any]:
        if self.path != "/predict":
            raise BadRequest(f"no such path {self.path}; use POST /predict", 404)
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise BadRequest("send the body as JSON with 'Content-Type: application/json'", 415)
        texts = read_texts(self._body(), self.server.max_texts, self.server.max_chars)
        return 200, {"predictions": self.server.predict(texts)}

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise BadRequest("the request has no Content-Length; send the body in one piece", 411)
        if int(length) > self.server.max_body:
            raise BadRequest(
                f"the body is {int(length):,} bytes, more than {self.server.max_body:,} "
                "(--max-texts x --max-chars); send fewer or shorter texts",
                413,
            )
        return self.rfile.read(int(length))

    def _refusal(self) -> BadRequest | None:
        """Why this request may not be answered at all (host or token), if it may not."""
        if self.server.loopback_only and not is_loopback(host_name(self.headers.get("Host", ""))):
            return BadRequest("this server answers only requests to a loopback address", 403)
        token = self.server.token
        if token is not None:
            given = self.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return BadRequest("send the server's token as 'Authorization: Bearer TOKEN'", 401)
        return None

    def _answer(self, handle: Callable[[], tuple[int, Any]]) -> None:
        refusal = self._refusal()
        try:
            if refusal is not None:
                raise refusal
            status, data = handle()
        except BadRequest as exc:
            status, data = exc.status, {"error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - the server stays up; the caller hears why
            status, data = 500, {"error": f"prediction failed: {exc}"}
        if status != 200:
            self.close_connection = True  # a refused request's body may be left unread
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        if status == 405:
            self.send_header("Allow", "POST")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        if not self.server.quiet:
            super().log_message(format, *args)


def make_server(
    folder: str | Path,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    token: str | None = None,
    max_texts: int = MAX_TEXTS,
    max_chars: int = MAX_CHARS,
    predictor: Any = None,
    quiet: bool = False,
) -> PredictServer:
    """A bound server for the adapter in ``folder`` (call ``serve_forever``); the adapter is
    loaded first, so a folder that cannot predict fails here. ``port`` 0 picks a free port.

    A host that is not a loopback address without a ``token`` is refused (:class:`ConfigError`).
    """
    # torch loads only when a server is made, not for --help
    from core.analysis.predict import Predictor
    from core.training.artifacts import read_meta

    if not is_loopback(host) and not token:
        raise ConfigError(
            f"--host {host} lets other machines use this model; give --token SECRET (or set "
            f"{TOKEN_ENV}) so that only callers sending 'Authorization: Bearer SECRET' are "
            "answered, or keep the default --host 127.0.0.1"
        )
    if max_texts < 1 or max_chars < 1:
        raise ConfigError("--max-texts and --max-chars must be at least 1")
    folder = Path(folder)
    read_meta(folder)  # a folder that is no adapter is told so before anything loads
    predictor = predictor or Predictor()
    adapter = predictor.load(folder)
    key = str(folder)

    def run(texts: list[str]) -> list[dict[str, Any]]:
        return predictor.predict(texts, [key])[key]

    info = {"status": "ok", "method": adapter.meta["method"], "base_model": adapter.meta[
        "base_model"], "labels": adapter.label_names, "max_texts": max_texts,
        "max_chars": max_chars}  # fmt: skip
    try:
        server = PredictServer(
            (host, port), folder, run, info,
            token or None, max_texts, max_chars, quiet,
        )  # fmt: skip
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
        ) from exc
    return server


def main(argv: list[str] | None = None) -> int:
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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
