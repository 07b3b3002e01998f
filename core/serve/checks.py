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
PAIR_EXAMPLE = 'send {"texts": ["a man sleeps"], "text_pairs": ["a person rests"]}'


class BadRequest(ValueError):
    """A request the server refuses; ``status`` is its HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def read_texts(body: bytes, max_texts: int, max_chars: int, pair: bool = False) -> list[Any]:
    """The texts of a ``{"texts": [...]}`` body; :class:`BadRequest` saying what is wrong.

    ``pair``: the model classifies text pairs, and the body holds the second texts as
    ``"text_pairs"``, one for each text; the texts come back as ``(text, text_pair)`` tuples.
    """
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"the body is not JSON ({exc}); {_example(pair)}") from exc
    if not isinstance(data, dict) or "texts" not in data:
        raise BadRequest(f'the body has no "texts"; {_example(pair)}')
    texts = _strings(data["texts"], "texts", max_texts, max_chars, pair)
    if not pair:
        if "text_pairs" in data:
            raise BadRequest('this model classifies single texts: send no "text_pairs"; ' + EXAMPLE)
        return texts
    if "text_pairs" not in data:
        raise BadRequest(
            'this model classifies text pairs: send the second texts as "text_pairs", one '
            f"for each text; {PAIR_EXAMPLE}"
        )
    pairs = _strings(data["text_pairs"], "text_pairs", max_texts, max_chars, pair)
    if len(pairs) != len(texts):
        raise BadRequest(
            f'"texts" has {len(texts)} and "text_pairs" {len(pairs)}; send one second text '
            f"for each text; {PAIR_EXAMPLE}"
        )
    return list(zip(texts, pairs, strict=True))


def _strings(values: Any, name: str, max_texts: int, max_chars: int, pair: bool) -> list[str]:
    """``values`` checked as the body's list ``name`` of at most ``max_texts`` strings."""
    example = _example(pair)
    if not isinstance(values, list):
        raise BadRequest(f'"{name}" must be a list of strings, not {_json_type(values)}; {example}')
    if not values:
        raise BadRequest(f'"{name}" is empty; send at least one text')
    if len(values) > max_texts:
        raise BadRequest(
            f"{len(values)} texts are more than the {max_texts} one request may hold "
            "(--max-texts); send them over several requests"
        )
    for i, text in enumerate(values):
        if not isinstance(text, str):
            raise BadRequest(f"{name}[{i}] is {_json_type(text)}, not a string; {example}")
        if len(text) > max_chars:
            raise BadRequest(
                f"{name}[{i}] has {len(text):,} characters, more than the {max_chars:,} allowed "
                "(--max-chars); shorten it"
            )
    return values


def _example(pair: bool) -> str:
    return PAIR_EXAMPLE if pair else EXAMPLE


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
