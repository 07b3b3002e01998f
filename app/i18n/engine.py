"""The engine's sentences in the person's language.

The engine speaks English (:mod:`core.messages`); the app shows its sentences in the language
it was launched with. A :class:`~core.messages.Message` is translated by its template. Text that
lost its template (an error read back from the database, problems joined with "; ", a problem
rendered as "Label: message") is matched against every template of the catalogue, as a whole
and then part by part. Text no template matches stays as it is: a sentence in English is better
than none, and translating never fails.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Any

from app.i18n.catalog import ZH_MESSAGES
from core.config import Problem
from core.messages import Message

_FORMATTER = string.Formatter()
FORM_LABELS = {
    "data": "train_dataset",
    "method": "train_method",
    "model": "train_model",
    "method_options": "train_method_advanced",
    "text_column": "train_text_column",
    "label_column": "train_label_column",
    "task": "train_task",
    "text_pair_column": "train_text_pair_column",
    "name": "train_run_name",
}
"""Settings the Train tab labels with its own keys rather than the setting's label."""


def translate(message: object, lang: str) -> str:
    """``message`` (a Message, a Problem, an exception's text or any object) in ``lang``."""
    if lang != "zh":
        return str(message)
    try:
        return _zh(message)
    except Exception:  # noqa: BLE001 - a catalogue slip must not hide the engine's message
        return str(message)


def translate_all(messages: Any, lang: str) -> list[str]:
    """Each of ``messages`` in ``lang``."""
    return [translate(m, lang) for m in messages]


def _zh(message: object) -> str:
    if isinstance(message, Message):
        chinese = ZH_MESSAGES.get(message.template)
        if chinese is None:
            return _text(str(message))
        values = {k: _value(v) for k, v in message.values.items()}
        return chinese.format(**values)
    if isinstance(message, Problem):
        label = field_label(message.setting) if message.label else None
        text = _zh(message.message)
        return f"{label}：{text}" if label else text
    return _text(str(message))


def _value(value: Any) -> Any:
    return _zh(value) if isinstance(value, str) else value


def field_label(setting: str | None) -> str | None:
    """The Chinese label of a setting (as the Chinese form shows it), None when it has none."""
    return _labels()[0].get(setting or "")


@lru_cache(maxsize=1)
def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """({setting: Chinese label}, {English label: Chinese label}) of every setting."""
    import dataclasses

    from app.i18n import ZH, ZH_FIELDS, _settings_classes

    by_name: dict[str, str] = {}
    by_label: dict[str, str] = {}
    for _prefix, cls in _settings_classes():
        for f in dataclasses.fields(cls):
            english = f.metadata.get("label") or f.name
            form = ZH.get(FORM_LABELS.get(f.name, ""))
            chinese = form or ZH_FIELDS.get(f.name, (english, ""))[0]
            by_name.setdefault(f.name, chinese)
            by_label.setdefault(english, chinese)
    return by_name, by_label


@lru_cache(maxsize=4096)
def _text(text: str) -> str:
    """Plain text, line by line, each line as "; " parts: the fewest consecutive parts that
    match a template are translated together (a template may hold "; " itself), also behind a
    "Label: " prefix; text that matches nothing comes back unchanged."""
    return "\n".join(_line(line) for line in text.split("\n"))


def _line(line: str) -> str:
    parts = line.split("; ")
    out, i = [], 0
    while i < len(parts):
        for j in range(i + 1, len(parts) + 1):
            found = _span("; ".join(parts[i:j]))
            if found is not None:
                out.append(found)
                i = j
                break
        else:
            out.append(parts[i])
            i += 1
    return "; ".join(out)


def _span(text: str) -> str | None:
    """``text`` translated by one template, also behind a setting's label or another prefix
    ("Label: task: message"); None if no template fits."""
    label, colon, rest = text.partition(": ")
    chinese = _labels()[1].get(label) if colon else None
    if chinese is not None:
        inner = _span(rest)
        if inner is not None:
            return f"{chinese}：{inner}"
    found = _match(text)
    if found is not None or not colon:
        return found
    inner = _span(rest)
    return None if inner is None else f"{label}：{inner}"


def _match(text: str) -> str | None:
    for pattern, chinese in _patterns():
        found = pattern.fullmatch(text)
        if found:
            values = {name: _text(value) for name, value in found.groupdict().items()}
            return chinese.format(**values)
    return None


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """A regex per template (placeholders as lazy named groups), most specific first, with its
    Chinese template stripped of format specs (the groups are formatted text already).

    Templates with no words of their own ("{reason}", "{cls}: {problems}") would match any
    text; they translate only as Messages.
    """
    compiled = []
    for english, chinese in ZH_MESSAGES.items():
        pattern, literal = _regex(english)
        if re.search(r"[A-Za-z]{2}", literal):
            compiled.append((len(literal), re.compile(pattern, re.DOTALL), _bare(chinese)))
    compiled.sort(key=lambda item: -item[0])
    return [(pattern, chinese) for _, pattern, chinese in compiled]


def _regex(template: str) -> tuple[str, str]:
    """The anchored regex of ``template`` and its literal text."""
    parts, literal, seen = [], "", set()
    for text, name, _spec, _conversion in _FORMATTER.parse(template):
        parts.append(re.escape(text))
        literal += text
        if name is None:
            continue
        if name in seen:  # a placeholder used twice matches the same text
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>.+?)")
    return "".join(parts), literal


def _bare(template: str) -> str:
    """``template`` with ``{name}`` for every ``{name:spec}`` and ``{name!r}``."""
    out = []
    for text, name, _spec, _conversion in _FORMATTER.parse(template):
        out.append(text.replace("{", "{{").replace("}", "}}"))
        if name is not None:
            out.append("{" + name + "}")
    return "".join(out)
