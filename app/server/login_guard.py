"""Slowing down password guessing on gradio's login form (``--auth``).

Gradio answers ``POST /login`` with 200 for a right password and 400 for a wrong one, as often
as it is asked. :class:`LoginGuard` watches those answers: after ``attempts`` failures from one
address, that address gets 429 with ``Retry-After`` for a minute, and every further failure
doubles the wait (at most the window). A successful login, or a whole window without a failure
once the wait is over, forgets the failures: someone who keeps guessing gets one guess per
window. Without ``--auth`` gradio answers every login with a redirect, which is no guess.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.server.guard import send_text

FIRST_WAIT_S = 60.0
MAX_CLIENTS = 10_000
"""Addresses remembered at most; the one that failed longest ago is forgotten first."""
LOGIN_PATHS = frozenset({"/login", "/login/"})


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class LoginThrottle:
    """Login attempts per client address, and how long each address must wait.

    An attempt counts as a failure from the moment it arrives until gradio accepts it, so that
    many guesses sent at once cannot all pass before the first answer comes back.
    """

    def __init__(
        self,
        attempts: int = 5,
        window_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self.clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds ``client`` must wait before trying again; 0 when it may try now."""
        record = self._records.get(client)
        return 0.0 if record is None else max(0.0, record.locked_until - self.clock())

    def attempt(self, client: str) -> float:
        """Count a login attempt of ``client`` as failed, until :meth:`settle`; its time."""
        now = self.clock()
        record = self._records.pop(client, None) or _Record()
        quiet_since = max([record.locked_until, *record.failures[-1:]])
        if now - quiet_since >= self.window_s:
            record.failures = []  # a window without failures after the wait forgets them all
        record.failures.append(now)
        extra = len(record.failures) - self.attempts
        if extra >= 0:
            record.locked_until = now + min(FIRST_WAIT_S * 2**extra, self.window_s)
        self._records[client] = record  # the newest attempt last
        while len(self._records) > MAX_CLIENTS:
            self._records.popitem(last=False)
        return now

    def settle(self, client: str, attempt: float, status: int) -> None:
        """Gradio answered the attempt made at ``attempt`` with ``status``: 200 forgets every
        failure of ``client``, 400 (wrong password) keeps it, anything else was no guess."""
        record = self._records.get(client)
        if record is None or status == 400:
            return
        if status == 200:
            del self._records[client]
            return
        if attempt in record.failures:
            record.failures.remove(attempt)
        if len(record.failures) < self.attempts:
            record.locked_until = 0.0


def too_many(wait_s: float) -> tuple[str, int]:
    """The message and the whole seconds of ``Retry-After`` for a client that must wait.

    English in every interface language: the 429 answers the login request before any page
    (or its language) exists, and scripts read it as much as people do."""
    seconds = max(1, math.ceil(wait_s))
    return (
        f"Too many failed logins from this address. Wait {seconds} seconds, then try again "
        "with the right user name and password.",
        seconds,
    )


class LoginGuard:
    """ASGI middleware: refuses logins from an address with too many failures (429)."""

    def __init__(self, app: Any, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope["path"] not in LOGIN_PATHS
        ):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.throttle.wait(client)
        if wait > 0:
            await _too_many(send, wait)
            return
        attempt = self.throttle.attempt(client)

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.throttle.settle(client, attempt, message["status"])
            await send(message)

        await self.app(scope, receive, watch)


async def _too_many(send: Any, wait_s: float) -> None:
    message, seconds = too_many(wait_s)
    await send_text(send, 429, message, [(b"retry-after", str(seconds).encode())])
