"""PTune Studio's web app: ``create_app(...)`` builds it, ``launch.py`` serves it.

Nothing is built or launched at import, and importing the package loads no gradio: launch.py
builds its flags from :mod:`app.limits` and :mod:`app.guard` and answers ``--help`` or a wrong
flag at once. ``create_app`` (:mod:`app.studio`) and ``launch_options`` (:mod:`app.serving`)
are loaded when first used. Only this package imports gradio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.serving import launch_options
    from app.studio import create_app

__all__ = ["create_app", "launch_options"]
_HOMES = {"create_app": "app.studio", "launch_options": "app.serving"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
