"""Stored settings read back by a later version: the one upgrade point.

Runs, sweeps and few-shot experiments store their settings as JSON, and adapter folders store
their method's settings. A later version may rename a setting, drop one or narrow its range;
:meth:`core.config.ConfigBase.from_stored` reads what an earlier version wrote all the same:

- a renamed setting (the class's ``RENAMED``, ``{old name: new name}``) takes its new name;
- a retired setting (the class's ``RETIRED``) is dropped;
- a setting missing from the stored values takes its default;
- a setting this version does not know (written by a newer one) is dropped with a warning;
- values are kept as stored, without the range check: the check every run passes when it
  starts (:mod:`core.checks`) names a value that is now out of range, with its setting.

Settings nested in a run's settings (``method_options``) belong to the chosen method's settings
class; the method registry (:mod:`core.methods`) tells this module how to upgrade them with
:func:`upgrade_method_options_with`, since the settings cannot import the methods that use them.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any

from core.errors import ConfigError
from core.messages import say

log = logging.getLogger(__name__)

OptionsUpgrade = Callable[[str, dict[str, Any]], dict[str, Any]]
"""(method name, its stored settings) -> those settings as this version names them."""

_options_upgrade: list[OptionsUpgrade] = []


def current_name(name: str, renamed: Mapping[str, str]) -> str:
    """The name a setting stored as ``name`` has now (renames may follow one another)."""
    seen = {name}
    while name in renamed and renamed[name] not in seen:
        name = renamed[name]
        seen.add(name)
    return name


def upgraded(
    cls: type, values: Mapping[str, Any], renamed: Mapping[str, str], retired: tuple[str, ...]
) -> dict[str, Any]:
    """``values`` stored for the dataclass ``cls`` under this version's names: renamed ones
    mapped, retired ones dropped, unknown ones dropped with a logged warning. A value stored
    under the current name wins over one stored under an old name."""
    known = {f.name for f in dataclasses.fields(cls)}
    out = {name: value for name, value in values.items() if name in known}
    unknown = []
    for name, value in values.items():
        if name in known:
            continue
        new = current_name(name, renamed)
        if new in known:
            out.setdefault(new, value)
        elif name not in retired and new not in retired:
            unknown.append(name)
    if unknown:
        log.warning(
            "%s: ignored stored setting(s) %s that this version does not know (written by a "
            "newer version?)",
            cls.__name__,
            ", ".join(sorted(unknown)),
        )
    return out


def unchecked(cls: type, values: Mapping[str, Any]) -> Any:
    """An instance of the dataclass ``cls`` holding ``values`` as they are (defaults for the
    missing ones), without the checks construction runs."""
    instance: Any = object.__new__(cls)
    for f in dataclasses.fields(cls):
        if f.name in values:
            value = copy.deepcopy(values[f.name])
        elif f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            raise ConfigError(
                say(
                    "{cls}: the stored settings lack {name}, which has no default",
                    cls=cls.__name__,
                    name=f.name,
                )
            )
        object.__setattr__(instance, f.name, value)
    return instance


def upgrade_method_options_with(upgrade: OptionsUpgrade) -> None:
    """Use ``upgrade`` for the method settings nested in stored run settings (the method
    registry calls this once, when it has found the methods)."""
    _options_upgrade[:] = [upgrade]


def upgraded_method_options(method: str, options: dict[str, Any]) -> dict[str, Any]:
    """A run's stored ``method_options`` as the settings of ``method`` name them now; as they
    are when no method registry is loaded or the method is no longer registered."""
    if not _options_upgrade:
        return dict(options)
    return _options_upgrade[0](method, options)
