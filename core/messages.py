"""Sentences the engine says to a person, kept translatable.

The engine writes its messages in English. :func:`say` formats one from a template and keeps the
template with it, so the app can show the same sentence in the person's language (its Chinese
catalogue is keyed by these templates, :mod:`app.i18n.engine`) while the command line, logs and
the database read plain English. A :class:`Message` is a ``str``: everything that takes text
takes it unchanged.
"""

from __future__ import annotations

from typing import Any


class Message(str):
    """English text formatted from ``template`` with ``values``; both kept for translation."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, values: dict[str, Any]) -> Message:
        message = super().__new__(cls, template.format(**values))
        message.template = template
        message.values = values
        return message

    def __getnewargs__(self) -> tuple[str, dict[str, Any]]:  # type: ignore[override]
        return self.template, self.values  # so a pickled exception keeps its message


def say(template: str, /, **values: Any) -> Message:
    """The sentence ``template.format(**values)``, translatable by its template.

    Values may be messages themselves (a reason inside a sentence); they are translated too.
    Number formats belong in the template (``{rows:,}``), not in the values, so the translation
    formats them the same way.
    """
    return Message(template, values)


def reason_of(exc: BaseException) -> str:
    """What ``exc`` says, to put inside a longer sentence: its message itself when that is a
    :class:`Message` (so the longer sentence translates whole), else its plain text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Message):
        return exc.args[0]
    return str(exc)
