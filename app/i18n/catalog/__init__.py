"""Chinese versions of the sentences the engine says (:func:`core.messages.say`).

Each module of this package holds ``ZH: dict[str, str]``: an English template, exactly as the
engine passes it to ``say``, mapped to its Chinese template with the same placeholders and
format specs. One module per area of the engine; every module here is merged into
:data:`ZH_MESSAGES`, so a new area needs no change to this file.
"""

from __future__ import annotations

import importlib
import pkgutil


def _merged() -> dict[str, str]:
    merged: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        merged.update(getattr(module, "ZH", {}))
    return merged


ZH_MESSAGES: dict[str, str] = _merged()
"""English template -> Chinese template, for every area of the engine."""
