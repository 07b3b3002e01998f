"""Which files are datasets: tables (:data:`core.data.reading.SUPPORTED_EXTENSIONS`)
and CoNLL files of tagged words (:data:`core.tasks.tagging.CONLL_EXTENSIONS`), one list read by
the engine and by the app's upload button and dataset picker; and why a file named like a CoNLL
file is refused when its lines are not tagged words."""

from __future__ import annotations

from pathlib import Path

from core.data.reading import SUPPORTED_EXTENSIONS
from core.data.tagging import looks_like_conll
from core.messages import Message, say
from core.tasks.tagging import CONLL_EXTENSIONS

DATASET_EXTENSIONS: tuple[str, ...] = tuple(
    dict.fromkeys([*SUPPORTED_EXTENSIONS, *CONLL_EXTENSIONS])
)
"""Every extension of a dataset file: the engine reads it, the app uploads and lists it (tables
first)."""


def conll_only(path: Path) -> bool:
    """Whether ``path`` has an extension only a CoNLL file has (``.txt``, ``.conll``, ``.iob``,
    ``.bio``), none of a table's (a ``.tsv`` may be either)."""
    suffix = path.suffix.lower()
    return suffix in CONLL_EXTENSIONS and suffix not in SUPPORTED_EXTENSIONS


def not_conll(path: Path) -> Message | None:
    """Why the file ``path``, named like a CoNLL file only, is no dataset (its lines are not
    words with their tags); None when it looks like one, is named like a table or is no file."""
    if not conll_only(path) or not path.is_file():
        return None
    found, reason = looks_like_conll(path)
    if found:
        return None
    return say(
        "{name} is not a CoNLL file of tagged words: {reason}. A {ext} file needs one word and "
        "its tag per line (e.g. 'Paris B-LOC') and a blank line between sentences; a table of "
        "texts and labels goes in a {tables} file",
        name=path.name,
        reason=reason,
        ext=path.suffix,
        tables=", ".join(SUPPORTED_EXTENSIONS),
    )
