"""How the app is served: ``demo.launch(**launch_options(...))``, with its guards in front.

Gradio puts its own middleware (CORS, compression) outside every middleware given in
``app_kwargs``, and its CORS middleware grants any origin whenever the ``Host`` is not a
loopback name, a rebound attacker's name included. A guard given in ``app_kwargs`` could refuse
such a request, but its refusal would still leave with ``Access-Control-Allow-Origin`` set to
the attacker's page. So the guards wrap the whole application instead: launch gets a gradio
:class:`App` (the FastAPI application gradio serves) that puts them around everything it builds,
passed as ``_app``, as gradio's own ``gr.Server`` passes itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import gradio as gr
from gradio.routes import App, ORJSONResponse
from starlette.middleware import Middleware

from app.i18n import I18N, PreferLanguage, check_lang
from app.server.guard import HostPolicy, SiteGuard, send_text
from app.server.limits import Limits
from app.server.login_guard import LoginGuard, LoginThrottle
from app.studio import CSS

__all__ = ["SESSION_CAPACITY", "GuardedApp", "UploadCapMessage", "launch_options"]

SESSION_CAPACITY = 200
"""Sessions whose state the app keeps, the least recently used dropped first (gradio keeps
10,000). A browser page or a gradio_client is one session, but each API call that names no
session (a plain HTTP ``/call``) is a new one, holding its own copy of the interface's
configuration: about 0.4 MB here, so 10,000 calls grew the app by 4 GB."""


class GuardedApp(App):
    """Gradio's application with ``guards`` outside all of its middleware, the first outermost."""

    def __init__(self, guards: list[Middleware], **kwargs: Any) -> None:
        self.guards = guards
        super().__init__(**kwargs)

    def build_middleware_stack(self) -> Any:
        stack = super().build_middleware_stack()
        for guard in reversed(self.guards):
            cls, args, kwargs = guard
            stack = cls(stack, *args, **kwargs)
        return stack


class UploadCapMessage:
    """ASGI middleware: gradio's 413 for an upload over ``max_file_size`` also says how large
    a file may be and which flag raises the cap."""

    def __init__(self, app: Any, limits: Limits) -> None:
        self.app = app
        cap = limits.max_upload_mb
        self.message = (
            f"The file is larger than this app's upload limit of {cap:,} MB "
            f"({limits.max_upload_bytes:,} bytes); nothing was stored. Upload a smaller file, or "
            "start the app with a larger --max-upload-mb."
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].rstrip("/").endswith("/upload"):
            await self.app(scope, receive, send)
            return
        replaced = False

        async def rewrite(message: dict[str, Any]) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                replaced = True
                await send_text(send, 413, self.message)
            elif not replaced:
                await send(message)

        await self.app(scope, receive, rewrite)


def launch_options(
    lang: str = "en",
    *,
    host: str = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
    limits: Limits | None = None,
    login_throttle: LoginThrottle | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``demo.launch``: translations, theme, CSS, the language, the upload
    cap and the guards.

    ``host`` is the address given as ``server_name`` (it decides which ``Host`` names are
    answered, with ``allowed_hosts`` added); ``limits`` should be the app's own
    (``demo.ptune_state.limits``). ``login_throttle`` replaces the one built from ``limits``.
    """
    limits = limits or Limits()
    throttle = login_throttle or LoginThrottle(limits.login_attempts, limits.login_window_s)
    app = GuardedApp(
        guards=[
            Middleware(SiteGuard, policy=HostPolicy.for_address(host, allowed_hosts)),
            Middleware(LoginGuard, throttle=throttle),
            Middleware(UploadCapMessage, limits=limits),
        ],
        middleware=[Middleware(PreferLanguage, lang=check_lang(lang))],
        default_response_class=ORJSONResponse,  # what gradio gives the App it builds itself
    )
    return {
        "i18n": I18N,
        "theme": gr.themes.Soft(),
        "css": CSS,
        "max_file_size": limits.max_upload_bytes,
        "state_session_capacity": SESSION_CAPACITY,
        "_app": app,
    }
