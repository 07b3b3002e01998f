"""PTune Studio's web app: ``create_app(...)`` builds it, ``launch.py`` serves it.

Nothing is built or launched at import, and importing the package loads no gradio: launch.py
builds its flags from :mod:`app.server.limits` and :mod:`app.server.guard` and answers
``--help`` or a wrong flag at once. ``create_app`` (:mod:`app.studio`) and ``launch_options``
(:mod:`app.server.serving`) are loaded when first used. Only this package imports gradio.

The package is grouped by feature: :mod:`app.studio` is the page and its one list of tabs;
``app/tabs/<tab>/`` holds each tab (its layout and wiring in ``tab.py``, its outputs in
``view.py``, its logic without Gradio and its figures beside them) with the tab contract and the
page clock in :mod:`app.tabs.contract` and :mod:`app.tabs.clock`; ``app/shared/`` holds what
several tabs and the HTTP API share (the app state, actions, the run queue, forms, errors);
``app/server/`` serves the app (launch options, guards, limits, the HTTP API); ``app/i18n/``
holds the interface's two languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.server.serving import launch_options
    from app.studio import create_app

__all__ = ["create_app", "launch_options"]
_HOMES = {"create_app": "app.studio", "launch_options": "app.server.serving"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
