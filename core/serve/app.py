"""The FastAPI app around one adapter: ``POST /predict``, ``GET /health``, ``/docs`` and
``/openapi.json``, every refusal a JSON ``{"error": ...}`` with its status, and :class:`Guard`,
which checks the ``Host`` and the token of every request before any route (the docs too).

Build it with :func:`create_app`; :func:`core.serve.server.make_server` builds it for an adapter
folder and serves it with uvicorn.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from core.serve.checks import (
    MAX_CHARS,
    MAX_TEXTS,
    BadRequest,
    host_name,
    is_loopback,
    max_body,
    read_texts,
)
from core.serve.models import Health, PredictResponse, Refusal, request_body
from core.tasks import takes_pairs

Predict = Callable[[list[Any]], list[dict[str, Any]]]
"""Texts (a pair task's: ``(text, text_pair)`` tuples) in, one ``{label, score,
probabilities}`` per text out, in order."""

HEADERS = {401: {"WWW-Authenticate": "Bearer"}, 405: {"Allow": "POST"}}
GUARDED = {
    401: "The server has a token and the request did not send it (Authorization: Bearer).",
    403: "The server listens on a loopback address and the request's Host is not one.",
}
REFUSALS = {
    400: 'The body is not {"texts": [...]} within the caps; the error says what is wrong.',
    **GUARDED,
    411: "The request has no Content-Length.",
    413: "The body is larger than the caps allow.",
    415: "The request is not sent as Content-Type: application/json.",
    500: "The prediction failed; the server stays up.",
}


def refusal(exc: BadRequest) -> JSONResponse:
    """The JSON answer to a refused request. The connection closes after it, since a refused
    request's body may be left unread."""
    headers = {"Connection": "close", **HEADERS.get(exc.status, {})}
    return JSONResponse({"error": str(exc)}, exc.status, headers=headers)


class Guard:
    """ASGI middleware that refuses a request to a foreign ``Host`` when the server listens on
    a loopback address (403), and one without the token when it has one (401), whatever its
    path."""

    def __init__(self, app: ASGIApp, token: str | None, loopback_only: bool) -> None:
        self.app = app
        self.token = token
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self.refusal(Headers(scope=scope))
            if refused is not None:
                await refusal(refused)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, headers: Headers) -> BadRequest | None:
        """Why a request with these headers may not be answered at all, if it may not."""
        if self.loopback_only and not is_loopback(host_name(headers.get("host", ""))):
            return BadRequest("this server answers only requests to a loopback address", 403)
        if self.token is not None:
            given = headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                return BadRequest("send the server's token as 'Authorization: Bearer TOKEN'", 401)
        return None


# ----------------------------------------------------------------------------- routes
async def texts_of(request: Request) -> list[Any]:
    """The texts of a ``POST /predict`` request, read only once its type and length are right."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise BadRequest("send the body as JSON with 'Content-Type: application/json'", 415)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise BadRequest("the request has no Content-Length; send the body in one piece", 411)
    max_texts, max_chars = request.app.state.max_texts, request.app.state.max_chars
    most = max_body(max_texts, max_chars)
    if int(length) > most:
        raise BadRequest(
            f"the body is {int(length):,} bytes, more than {most:,} "
            "(--max-texts x --max-chars); send fewer or shorter texts",
            413,
        )
    info = request.app.state.info
    pair = takes_pairs(info.get("task"), info.get("inputs"))
    return read_texts(await request.body(), max_texts, max_chars, pair)


def predict(request: Request, texts: Annotated[list[Any], Depends(texts_of)]) -> dict[str, Any]:
    """The label of each text and the probability of every label, in the order of the texts.
    Requests that arrive together go through the model as one batch."""
    try:
        predictions = request.app.state.predict(texts)
    except Exception as exc:  # noqa: BLE001 - the server stays up; the caller hears why
        raise BadRequest(f"prediction failed: {exc}", 500) from exc
    return {"predictions": predictions}


def health(request: Request) -> dict[str, Any]:
    """The adapter's method, base model and labels, and this server's caps."""
    return dict(request.app.state.info)


async def refused(request: Request, exc: BadRequest) -> JSONResponse:
    return refusal(exc)


async def no_route(request: Request, exc: HTTPException) -> JSONResponse:
    """404 for other paths; 405 for /predict with another method than POST."""
    path = request.url.path
    if exc.status_code == 405 and path == "/predict":
        return refusal(BadRequest('/predict takes POST with {"texts": [...]}', 405))
    if exc.status_code in (404, 405):
        routes = "POST /predict" if request.method == "POST" else "POST /predict or GET /health"
        return refusal(BadRequest(f"no such path {path}; use {routes}", 404))
    return refusal(BadRequest(str(exc.detail), exc.status_code))


def _documented(statuses: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": Refusal, "description": text} for status, text in statuses.items()}


def create_app(
    predict_texts: Predict,
    info: dict[str, Any],
    token: str | None = None,
    loopback_only: bool = True,
    max_texts: int = MAX_TEXTS,
    max_chars: int = MAX_CHARS,
) -> FastAPI:
    """The app answering with ``predict_texts``; ``info`` is what ``GET /health`` tells.

    ``token``: every request must send ``Authorization: Bearer TOKEN``. ``loopback_only``: only
    requests whose ``Host`` is a loopback name are answered (for a server on a loopback address).
    """
    app = FastAPI(
        title="PTune Studio model server",
        summary=f"{info.get('method', 'an adapter')} on {info.get('base_model', 'a base model')}",
        description='`POST /predict` with `{"texts": [...]}` (a text-pair model: also '
        '`"text_pairs": [...]`, one second text for each text); every refusal is '
        '`{"error": "what is wrong"}` with its HTTP status.',
        exception_handlers={BadRequest: refused, HTTPException: no_route},
    )
    app.state.predict = predict_texts
    app.state.info = info
    app.state.max_texts, app.state.max_chars = max_texts, max_chars
    app.add_api_route(
        "/predict", predict, methods=["POST"], response_model=PredictResponse,
        responses=_documented(REFUSALS),
        openapi_extra={"requestBody": request_body(max_texts, max_chars)},
    )  # fmt: skip
    app.add_api_route(
        "/health", health, methods=["GET"], response_model=Health,
        responses=_documented(GUARDED),
    )  # fmt: skip
    app.add_middleware(Guard, token=token, loopback_only=loopback_only)
    return app
