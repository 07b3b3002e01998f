"""Serving one adapter folder with uvicorn: :func:`make_server` loads the adapter, builds the
app (:func:`core.serve.app.create_app`) and binds the port; :class:`PredictServer` runs it.

The prediction itself goes through :class:`core.analysis.predict.Predictor`, whose worker
combines requests that arrive together into one forward pass (:mod:`core.analysis.batcher`).
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from core.errors import ConfigError
from core.serve.app import create_app
from core.serve.checks import DEFAULT_PORT, MAX_CHARS, MAX_TEXTS, TOKEN_ENV, is_loopback


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (0 picks a free port); OSError if it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class PredictServer:
    """uvicorn serving ``app`` on a port bound when the server is made; build it with
    :func:`make_server`. :meth:`serve_forever` answers until :meth:`shutdown` (from another
    thread) or Ctrl+C (in the main thread); :meth:`server_close` frees the port."""

    def __init__(self, app: FastAPI, address: tuple[str, int], quiet: bool = False) -> None:
        self.app = app
        self.socket = bind(*address)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        config = uvicorn.Config(
            app,
            host=self.server_address[0],
            port=self.server_address[1],
            log_level="warning" if quiet else "info",
            access_log=not quiet,
            proxy_headers=False,  # no proxy in front: the client is who connected
        )
        self._server = uvicorn.Server(config)
        self._serving = threading.Event()
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`shutdown` or Ctrl+C (which ends in KeyboardInterrupt)."""
        self._serving.set()
        try:
            self._server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` running in another thread, and wait until it has."""
        self._server.should_exit = True
        if self._serving.is_set():
            self._stopped.wait()

    def server_close(self) -> None:
        """Free the port."""
        self.socket.close()


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
    from core.tasks import DEFAULT_TASK
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

    def run(texts: list[Any]) -> list[dict[str, Any]]:
        return predictor.predict(texts, [key])[key]

    info = {"status": "ok", "method": adapter.meta["method"], "base_model": adapter.meta[
        "base_model"], "labels": adapter.label_names, "max_texts": max_texts,
        "max_chars": max_chars}  # fmt: skip
    if adapter.task != DEFAULT_TASK:  # one text per row needs no word: what servers always did
        info["task"] = adapter.task
    if "inputs" in adapter.meta:
        info["inputs"] = adapter.meta["inputs"]
    if "thresholds" in adapter.meta:
        info["thresholds"] = adapter.meta["thresholds"]
    app = create_app(run, info, token or None, is_loopback(host), max_texts, max_chars)
    try:
        return PredictServer(app, (host, port), quiet)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
        ) from exc
