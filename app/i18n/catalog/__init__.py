"""Chinese text of the engine's messages, keyed by their English templates (one module per area)."""

import importlib
import pkgutil

ZH_MESSAGES: dict[str, str] = {}
for _info in pkgutil.iter_modules(__path__):
    ZH_MESSAGES.update(importlib.import_module(f"{__name__}.{_info.name}").ZH)
