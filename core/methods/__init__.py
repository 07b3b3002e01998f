"""The training methods, one module each, behind one registry.

Every module in this package that defines a :class:`Method` subclass with a ``name`` is found
and registered when the package is imported: adding a method means adding its module (and its
page under ``docs/methods/``), nothing else. The registry is ordered by ``Method.position``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable
from typing import Any

from core.config.stored import upgrade_method_options_with
from core.errors import ConfigError
from core.messages import say
from core.methods.base import Method

__all__ = ["METHODS", "Method", "discover", "get_method", "prompt_methods"]


def discover(package: str = __name__, paths: Iterable[str] = __path__) -> dict[str, Method]:
    """One instance of every concrete method in the package's modules, by name, in order."""
    found: dict[str, Method] = {}
    for info in pkgutil.iter_modules(list(paths)):
        module = importlib.import_module(f"{package}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            own = cls.__module__ == module.__name__ and "name" in vars(cls)
            if own and issubclass(cls, Method):
                if cls.name in found:
                    raise ConfigError(
                        say("two methods are called '{name}'; rename one", name=cls.name)
                    )
                found[cls.name] = cls()
    return dict(sorted(found.items(), key=lambda item: (item[1].position, item[0])))


METHODS: dict[str, Method] = discover()


def upgrade_stored_options(method: str, options: dict[str, Any]) -> dict[str, Any]:
    """A run's stored settings of ``method`` under the names its settings class has now
    (:meth:`core.config.ConfigBase.upgrade_stored`); as they are for a method no longer
    registered, which the run's check then names."""
    found = METHODS.get(method)
    return dict(options) if found is None else found.config_cls.upgrade_stored(options)


upgrade_method_options_with(upgrade_stored_options)


def get_method(name: str) -> Method:
    """The registered method called ``name``."""
    try:
        return METHODS[name]
    except KeyError:
        message = say(
            "unknown method '{name}'; choose one of {methods}",
            name=name,
            methods=", ".join(METHODS),
        )
        raise ConfigError(message) from None


def prompt_methods() -> list[str]:
    """The methods that learn a prompt of virtual tokens, in registry order."""
    return [name for name, method in METHODS.items() if method.has_prompt]
