"""Keeping other web sites away from the served app: which host names it answers to, which
requests may change something, and no cross-origin access granted to foreign pages.

A page on another site can make the browser send requests to the app (a form posting an upload,
a ``fetch`` to ``http://127.0.0.1:7860``), and with DNS rebinding (a name of the attacker's that
first resolves to their server, then to 127.0.0.1) even read the answers, because the browser
then takes the app for the attacker's own site. So:

- the ``Host`` of every request must be a name the app is really reached by (:class:`HostPolicy`);
  a rebound name is not one of them;
- a request that may change something (anything but GET, HEAD and OPTIONS) must come from the
  app's own page: its ``Origin`` names the host it was sent to, or a host allowed with
  ``--allowed-host``. Without an ``Origin`` (``gradio_client``, curl) it passes unless the
  browser says ``Sec-Fetch-Site: cross-site``;
- no response grants ``Access-Control-Allow-Origin`` to a foreign origin.

Only the standard library here: the middleware is plain ASGI.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
CORS_GRANTS = (b"access-control-allow-origin", b"access-control-allow-credentials")
HOST_HINT = "start the app with --allowed-host {name}"


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """True when ``host`` (a name or an address, IPv6 with or without brackets) is this machine
    only."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    ip = _ip(name)
    return ip is not None and ip.is_loopback


def split_host(value: str) -> tuple[str, int | None]:
    """(name, port) of a ``Host`` header or an origin's authority: lower case, IPv6 without
    brackets, no trailing dot; ("", None) when it is no host at all."""
    value = value.strip().lower()
    if not value or any(c in value for c in "/@?# \\"):
        return "", None
    if value.startswith("["):
        name, bracket, rest = value[1:].partition("]")
        if not bracket or _ip(name) is None or (rest and not rest.startswith(":")):
            return "", None
        port_text = rest[1:]
    elif value.count(":") > 1:  # a bare IPv6 address: no port can be told apart
        return (value, None) if _ip(value) is not None else ("", None)
    else:
        name, _, port_text = value.partition(":")
    if port_text and not port_text.isdigit():
        return "", None
    return name.rstrip("."), int(port_text) if port_text else None


def check_host_name(value: str) -> str:
    """A host name for ``--allowed-host`` in the form the app compares (lower case, IPv6
    without brackets); ValueError saying what to give otherwise."""
    name, port = split_host(value)
    if not name or port is not None or "://" in value:
        raise ValueError(
            f"--allowed-host {value!r} is not a host name: give the name alone, as in "
            "--allowed-host studio.example.com (no http://, port or path)"
        )
    return name


def _same_ip(name: str, other: str) -> bool:
    a, b = _ip(name), _ip(other)
    return a is not None and a == b


@dataclass(frozen=True)
class HostPolicy:
    """The host names the app answers to, from the address it is bound to.

    Bound to a loopback address: loopback names and addresses only. Bound to one address: that
    address (or name) too. Bound to every address (0.0.0.0 or ::): any IP address (DNS
    rebinding needs a name) and this machine's names too. Names given to ``--allowed-host``
    always.
    """

    bound: str = "127.0.0.1"
    allowed: frozenset[str] = frozenset()
    machine_names: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_address(cls, bound: str, allowed: Iterable[str] = ()) -> HostPolicy:
        bound = bound.strip().strip("[]").lower()
        names: frozenset[str] = frozenset()
        if bound in WILDCARD_ADDRESSES:
            names = frozenset(
                n.lower().rstrip(".") for n in (socket.gethostname(), socket.getfqdn()) if n
            )
        return cls(bound, frozenset(check_host_name(n) for n in allowed), names)

    def allows(self, name: str) -> bool:
        """True when a request whose ``Host`` names ``name`` (see :func:`split_host`) may be
        answered."""
        if not name:
            return False
        if is_loopback(name) or name in self.allowed:
            return True
        if self.bound in WILDCARD_ADDRESSES:
            return _ip(name) is not None or name in self.machine_names
        return name == self.bound or _same_ip(name, self.bound)

    def own_origin(self, origin: str, host: str, scheme: str) -> bool:
        """True when a request from the page at ``origin`` to ``host`` (its ``Host`` header) over
        ``scheme`` comes from the app's own page, or from a host allowed with --allowed-host."""
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
            return False  # "null" (a sandboxed page or a file) and anything malformed
        name, port = split_host(parts.netloc)
        if not name:
            return False
        if name in self.allowed:
            return True
        host_name, host_port = split_host(host)
        default = DEFAULT_PORTS.get(scheme, 80)
        return name == host_name and (port or DEFAULT_PORTS[parts.scheme]) == (host_port or default)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def refusal(scope: dict[str, Any], policy: HostPolicy) -> tuple[int, str] | None:
    """(status, message) when the request must not reach the app; None when it may.

    The message is English in every interface language: it answers a request that never
    reaches the app's page (a browser shows it bare, a script logs it)."""
    host = _header(scope, b"host") or ""
    name, _ = split_host(host)
    if not policy.allows(name):
        shown = (name or host)[:100] or "(none)"
        return 400, (
            f"This PTune Studio does not answer to the host name {shown!r}: requests by other "
            "names may come from other web sites. If you reach the app by that name on "
            f"purpose, {HOST_HINT.format(name=name or 'NAME')}."
        )
    websocket = scope["type"] == "websocket"
    if not websocket and scope.get("method", "GET").upper() in SAFE_METHODS:
        return None
    origin = _header(scope, b"origin")
    if origin is None:
        if (_header(scope, b"sec-fetch-site") or "").lower() != "cross-site":
            return None
        origin = "another site"
    elif policy.own_origin(origin, host, scope.get("scheme", "http")):
        return None
    name = split_host(urlsplit(origin.lower()).netloc)[0] or "NAME"
    return 403, (
        f"Refused a request from {origin[:100]}: PTune Studio only accepts changes from its own "
        "page. If that address is this app under another name (e.g. behind a proxy), "
        f"{HOST_HINT.format(name=name)}."
    )


class SiteGuard:
    """ASGI middleware applying :func:`refusal` and keeping CORS grants to the app's own page.

    It must wrap gradio's own CORS middleware, which grants any origin when the ``Host`` is not
    a loopback name (so also a rebound one): see :func:`app.server.serving.guarded_app`.
    """

    def __init__(self, app: Any, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = refusal(scope, self.policy)
        if refused is not None:
            await _refuse(scope, send, *refused)
            return
        origin = _header(scope, b"origin")
        if scope["type"] == "websocket" or origin is None:
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        if self.policy.own_origin(origin, host, scope.get("scheme", "http")):
            await self.app(scope, receive, send)
            return

        async def without_grants(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in
                           CORS_GRANTS]  # fmt: skip
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, without_grants)


async def _refuse(scope: dict[str, Any], send: Any, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        # Closing before accepting makes the server answer the handshake with 403; the reason
        # (at most 123 bytes) is what a client library shows.
        reason = message.encode()[:123].decode(errors="ignore")
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    await send_text(send, status, message)


async def send_text(
    send: Any, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Answer with ``status`` and ``message`` as plain text (what curl and a browser show)."""
    body = message.encode() + b"\n"
    head = [(b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": body})
