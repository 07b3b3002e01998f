"""ASGI middleware that makes the page report the language chosen at launch to Gradio."""

from __future__ import annotations

from typing import Any

from app.i18n.languages import BROWSER_LOCALE, check_lang

LANG_SCRIPT = (
    "<script>(function(){{var l={locale!r};try{{Object.defineProperty(navigator,'language',"
    "{{get:function(){{return l;}},configurable:true}});Object.defineProperty(navigator,"
    "'languages',{{get:function(){{return [l];}},configurable:true}});}}catch(e){{}}}})();"
    "</script>"
)


class PreferLanguage:
    """ASGI middleware: the page tells Gradio ``lang`` is the browser's language.

    Gradio chooses the interface language from ``navigator.language`` before any custom ``head``
    code runs, so the script goes first in the HTML of the page itself. Switching in Gradio's
    Settings panel still works afterwards.
    """

    def __init__(self, app: Any, lang: str = "en") -> None:
        self.app = app
        self.script = LANG_SCRIPT.format(locale=BROWSER_LOCALE[check_lang(lang)]).encode()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET" or scope["path"] != "/":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        body: list[bytes] = []

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return
            await send_page(b"".join(body))

        async def send_page(page: bytes) -> None:
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            content_type = dict(headers).get(b"content-type", b"")
            if content_type.startswith(b"text/html") and b"<head>" in page:
                page = page.replace(b"<head>", b"<head>" + self.script, 1)
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, capture)
