"""Engine and storage exceptions turned into messages for a person (only the app does this)."""

from __future__ import annotations

import functools
import html
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import gradio as gr

from app.i18n import text
from app.i18n.engine import translate
from core.errors import ConfigProblems, PTuneError, message_of
from storage.errors import StorageError

log = logging.getLogger(__name__)

EXPECTED = (PTuneError, StorageError)
"""Failures a person can act on (the engine's and the store's domain errors); anything else
is a bug: it is logged with its traceback and the person is told where to find it."""

F = TypeVar("F", bound=Callable[..., Any])


FormProblems = ConfigProblems
"""A form's problems, every one listed: the engine's own check raises the same type."""


def problems_html(problems: Sequence[Any]) -> str:
    items = "".join(f"<li>{html.escape(str(p))}</li>" for p in problems)
    return f"<ul>{items}</ul>"


def plain(exc: BaseException, lang: str = "en") -> str:
    """The exception as one sentence in ``lang``, without the class name or a traceback."""
    message = " ".join(translate(message_of(exc), lang).split()) or type(exc).__name__
    if isinstance(exc, KeyError) and message.startswith(("'", '"')):
        message = message.strip("'\"")
    return message[0].upper() + message[1:]


def to_gradio(
    exc: BaseException, title: str = "Error", markup: bool = True, lang: str = "en"
) -> gr.Error:
    """A ``gr.Error`` for ``exc`` in ``lang``: all problems of a form, or the one sentence.

    ``markup``: the browser shows the message as HTML (a list of problems, text escaped);
    without it the message is plain text, one problem per line, for HTTP API callers.
    """
    if isinstance(exc, FormProblems):
        lines = [translate(p, lang) for p in exc.problems]
        message = problems_html(lines) if markup else "\n".join(lines)
        return gr.Error(message, duration=None, title=title, print_exception=False)
    if isinstance(exc, EXPECTED):
        message = plain(exc, lang)
        return gr.Error(html.escape(message) if markup else message, title=title,
                        print_exception=False)  # fmt: skip
    reference = log_internal(exc)
    message = text("unexpected_error", lang, kind=type(exc).__name__, reference=reference)
    return gr.Error(html.escape(message) if markup else message, title=title,
                    print_exception=False)  # fmt: skip


def log_internal(exc: BaseException) -> str:
    """Log a bug with its traceback under a short reference the person can quote; the
    reference."""
    reference = uuid.uuid4().hex[:8]
    log.error("internal error %s in a handler", reference, exc_info=exc)
    return reference


def friendly(lang: str = "en", markup: bool = True) -> Callable[[F], F]:
    """Decorator: every failure of the handler reaches the person as plain sentences.

    ``markup=False`` for HTTP API endpoints: their callers read the message as plain text.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - translated, never shown as a traceback
                key = "problems_title" if isinstance(exc, FormProblems) else "error_title"
                raise to_gradio(exc, text(key, lang), markup, lang) from exc

        return wrapper  # type: ignore[return-value]

    return decorate
