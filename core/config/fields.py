"""The settings machinery: fields with help text and ranges, their kinds, and the checks.

Every field is declared with :func:`param`, which stores a help text and a range (or a list of
choices) in the field's metadata. ``problems()`` checks them all and returns every problem at
once as a :class:`Problem` naming its setting, so a form can list them together and point at
the setting; construction raises :class:`ConfigError` when there is any. :func:`field_kind`
says what a field holds, for the checks, the app's forms and the command line alike.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from core.config.stored import unchecked, upgraded
from core.errors import ConfigError
from core.messages import say

C = TypeVar("C", bound="ConfigBase")


def param(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[Any, ...] | None = None,
    label: str | None = None,
    advanced: bool = False,
) -> Any:
    """Declare a config field with its help text and allowed range."""
    meta = {"help": help, "min": min, "max": max, "choices": choices, "label": label}
    meta["advanced"] = advanced
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Problem:
    """One problem of a run's settings: the setting it concerns (None for the run as a whole),
    that setting's label as a form shows it, and a sentence saying what is wrong and the fix."""

    message: str
    setting: str | None = None
    label: str | None = None

    def __str__(self) -> str:
        return f"{self.label}: {self.message}" if self.label else self.message


# ----------------------------------------------------------------------------- kinds
KINDS = ("bool", "int", "float", "text", "choice", "mapping", "sequence", "other")
"""What a setting can hold: text with ``choices`` is a ``choice``; ``other`` is anything else
(e.g. a nested config)."""

_KIND_OF_TYPE = {
    "bool": "bool",
    "int": "int",
    "float": "float",
    "str": "text",
    "dict": "mapping",
    "Mapping": "mapping",
    "tuple": "sequence",
    "list": "sequence",
}


@dataclass(frozen=True)
class FieldKind:
    """What a setting holds (one of :data:`KINDS`) and whether it may be empty (None)."""

    name: str
    optional: bool = False

    @property
    def number(self) -> str | None:
        """ "int" or "float" for a numeric setting, None for any other (bools are not numbers)."""
        return self.name if self.name in ("int", "float") else None

    @property
    def is_text(self) -> bool:
        """True for settings holding text, free or one of their choices."""
        return self.name in ("text", "choice")


def field_kind(f: dataclasses.Field) -> FieldKind:
    """The kind of the config field ``f``, read from its annotation and choices."""
    parts = _annotation_parts(f.type)
    types = [part for part in parts if part != "None"]
    outer = types[0].split("[")[0].strip() if len(types) == 1 else ""  # "tuple" of tuple[int]
    name = _KIND_OF_TYPE.get(outer, "other")
    if name == "text" and f.metadata.get("choices"):
        name = "choice"
    return FieldKind(name, optional="None" in parts)


def _annotation_parts(annotation: Any) -> list[str]:
    """The members of an annotation's union as text: ``"int | None"`` -> ``["int", "None"]``."""
    if isinstance(annotation, type):
        return [annotation.__name__]
    text = str(annotation).replace("typing.", "").replace("NoneType", "None").strip()
    if text.startswith("Optional[") and text.endswith("]"):
        return [*_annotation_parts(text[len("Optional[") : -1]), "None"]
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()]


def coerce_numbers(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with numbers written the way people write them read as numbers.

    YAML reads ``1e-3`` (no dot before the e) and ``"32"`` as text, forms send text, and JSON
    may send ``32.0`` for a whole number: each becomes the setting's number. Text that is no
    number, and fractions for whole-number settings, are left for ``problems()`` to name.
    """
    kinds = {f.name: field_kind(f).number for f in dataclasses.fields(cls)}
    out = dict(values)
    for name, value in values.items():
        kind = kinds.get(name)
        if kind is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            try:
                value = float(value.strip().replace("_", ""))
            except ValueError:
                continue
        if kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = value
    return out


# ----------------------------------------------------------------------------- checks
def _field_message(name: str, value: Any, meta: dict, kind: str | None = None) -> str | None:
    if value is None:
        return None
    if kind is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return say("{name}={value!r} must be a number", name=name, value=value)
    if isinstance(value, float) and not math.isfinite(value):
        return say("{name}={value!r} must be a finite number", name=name, value=value)
    if kind == "int" and isinstance(value, float):
        return say(
            "{name}={value!r} must be a whole number, e.g. {whole}",
            name=name, value=value, whole=round(value),
        )  # fmt: skip
    choices, lo, hi = meta.get("choices"), meta.get("min"), meta.get("max")
    if choices is not None and value not in choices:
        options = ", ".join(repr(c) for c in choices)
        return say(
            "{name}={value!r} is not one of {options}", name=name, value=value, options=options
        )
    if lo is None and hi is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return say("{name}={value!r} must be a number", name=name, value=value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return say(
            "{name}={value!r} is out of range; use a value from {lo} to {hi}",
            name=name, value=value, lo=lo, hi=hi,
        )  # fmt: skip
    return None


@dataclass
class ConfigBase:
    """Base for config dataclasses: range checks, dict round trip, field descriptions.

    Settings people give are read with :meth:`from_dict` (strict); settings a run stored are
    read with :meth:`from_stored`, which also reads what earlier versions wrote. A subclass
    that renames or drops a setting says so in its own ``RENAMED`` / ``RETIRED``.
    """

    RENAMED: ClassVar[dict[str, str]] = {}
    """Settings renamed since configs of this class were first stored: {old name: new name}."""
    RETIRED: ClassVar[tuple[str, ...]] = ()
    """Settings dropped since configs of this class were first stored; their values are
    ignored. Never give a new setting a name listed here or in ``RENAMED``."""

    def __post_init__(self) -> None:
        for name, value in coerce_numbers(type(self), vars(self)).items():
            setattr(self, name, value)
        self.normalize()
        problems = self.problems()
        if problems:
            joined = "; ".join(map(str, problems))
            raise ConfigError(say("{cls}: {problems}", cls=type(self).__name__, problems=joined))

    def normalize(self) -> None:
        """Bring equivalent spellings of a setting to one form (before checking)."""

    def problems(self) -> list[Problem]:
        """Every range or choice violation, each naming its setting and the fix."""
        found: list[Problem] = []
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), dict(f.metadata)
            message = _field_message(f.name, value, meta, field_kind(f).number)
            if message:
                found.append(self.problem(f.name, message))
        return found

    @classmethod
    def problem(cls, setting: str, message: str) -> Problem:
        """A problem of the field ``setting``, labelled as the form labels that field."""
        label = next(
            (f.metadata.get("label") for f in dataclasses.fields(cls) if f.name == setting), None
        )
        return Problem(message, setting, label if label and label != setting else None)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], values: dict[str, Any]) -> C:
        """Settings a person gave: unknown names are refused, every value is checked."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(
                say(
                    "{cls}: unknown setting(s) {unknown}; known settings are {known}",
                    cls=cls.__name__,
                    unknown=", ".join(unknown),
                    known=", ".join(sorted(names)),
                )  # fmt: skip
            )
        return cls(**values)

    @classmethod
    def from_stored(cls: type[C], values: Mapping[str, Any] | None) -> C:
        """Settings this or an earlier version stored, read without refusing any
        (:mod:`core.config.stored`): renamed ones mapped, retired and unknown ones dropped,
        missing ones at their defaults, values as stored (not range-checked)."""
        config = unchecked(cls, cls.upgrade_stored(values or {}))
        config.upgrade_nested()
        return config

    @classmethod
    def upgrade_stored(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Stored ``values`` under this version's names (no defaults added, none checked)."""
        return upgraded(cls, values, cls.RENAMED, cls.RETIRED)

    def upgrade_nested(self) -> None:
        """Upgrade settings nested in this config's values as :meth:`from_stored` does its own
        (none here)."""

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """Field name, type, kind, default, help and range for each field (what a form shows).

        A class's own fields come before those it inherits (shared settings such as prompt
        growth follow the method's own), each group in declaration order.
        """
        rows = []
        for f in sorted(dataclasses.fields(cls), key=lambda f: _declared_depth(cls, f.name)):
            default = f.default if f.default is not dataclasses.MISSING else None
            kind = field_kind(f)
            rows.append(
                {
                    "name": f.name,
                    "type": str(f.type),
                    "kind": kind,
                    "default": default,
                    **f.metadata,
                }
            )
        return rows


def _declared_depth(cls: type, name: str) -> int:
    """How far up ``cls``'s MRO the field ``name`` is declared (0: in ``cls`` itself)."""
    for depth, klass in enumerate(cls.__mro__):
        if name in inspect.get_annotations(klass):
            return depth
    return len(cls.__mro__)
