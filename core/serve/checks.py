"""What a request to the model server must be: its body (:func:`read_texts`), its size
(:func:`max_body`), and the host it is addressed to (:func:`is_loopback`, :func:`host_name`).

Plain functions without the web framework, so the rules can be read (and tested) on their own.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

# Every message here stays plain English: the 4xx answers go to HTTP clients and the
# ConfigErrors name command-line flags; none of them reaches the app's interface.

DEFAULT_PORT = 8000
MAX_TEXTS = 64
"""Texts one request may hold (``--max-texts``)."""
MAX_CHARS = 10_000
"""Characters one text may hold (``--max-chars``); the app's own default cap."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
TOKEN_ENV = "PTUNE_SERVE_TOKEN"
EXAMPLE = 'send {"texts": ["first text", "second text"]}'


class BadRequest(ValueError):
    """A request the server refuses; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def read_texts(body: bytes, max_texts: int, max_chars: int) -> list[str]:
    """The texts of a ``{"texts": [...]}`` body; :class:`BadRequest` saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the body is not JSON ({exc}); {EXAMPLE}") from exc
    if not isinstance(data, dict) or "texts" not in data:
        raise BadRequest(f'the body has no "texts"; {EXAMPLE}')
    texts = data["texts"]
    if not isinstance(texts, list):
        raise BadRequest(f'"texts" must be a list of strings, not {_json_type(texts)}; {EXAMPLE}')
    if not texts:
        raise BadRequest('"texts" is empty; send at least one text')
    if len(texts) > max_texts:
        raise BadRequest(
            f"{len(texts)} texts are more than the {max_texts} one request may hold "
            "(--max-texts); send them over several requests"
        )
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadRequest(f"texts[{i}] is {_json_type(text)}, not a string; {EXAMPLE}")
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


def max_body(max_texts: int, max_chars: int) -> int:
    """The most bytes a body within the caps can take."""
    # UTF-8 takes at most 4 bytes a character, JSON escapes 6 (\uXXXX); plus room for syntax.
    return max_texts * (max_chars * 6 + 16) + 1024


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address) is this machine only."""
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
