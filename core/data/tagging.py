"""Reading tagged words (named entities): CoNLL files and JSON lines.

Two formats are read into sentences of words, each word with one tag:

- CoNLL (``.txt``, ``.conll``, ``.iob``, any extension but the JSON ones): one word per line,
  its columns separated by spaces or tabs, the word first and the tag last (CoNLL-2003 has
  ``word POS chunk tag``; the copy in ``conll2003/`` has ``word POS tag``; ``word tag`` is
  fine too). A blank line ends a sentence; ``-DOCSTART-`` lines (document breaks) are skipped.
- JSON lines (``.jsonl``, ``.json``): one sentence per line, an object with a list of words
  (key ``tokens`` or ``words``) and a list of tags (``tags``, ``ner_tags``, ``labels`` or
  ``ner``). Tags are strings, or numbers with their names given (``tag_names``, as a Hugging
  Face dataset's ``ClassLabel`` lists them).

Tags follow the IOB scheme (:mod:`core.data.iob`): IOB1 is converted to IOB2 with a note,
IOBES is kept. Every refusal is a :class:`TaggingDataError` naming the file and line: a CoNLL
line with one column, a row whose word and tag lists differ in length, a tag that is not IOB.

Scoring is entity-level, the CoNLL way (:mod:`core.analysis.entities`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from core.data.iob import (
    OUTSIDE,
    PREFIXES,
    TagSchemeError,
    check_iobes,
    check_tags,
    is_iob_tag,
    to_iob2,
    uses_iobes,
)
from core.data.reading import read_text
from core.errors import DataError
from core.messages import Message, say

JSON_EXTENSIONS = (".jsonl", ".json")
WORD_KEYS = ("tokens", "words")
TAG_KEYS = ("tags", "ner_tags", "labels", "ner")
DOCSTART = "-DOCSTART-"
SNIFF_LINES = 500
"""Lines :func:`looks_like_conll` looks at."""

__all__ = [
    "TagSchemeError",
    "TaggedData",
    "TaggedSentence",
    "TaggingDataError",
    "looks_like_conll",
    "read_conll",
    "read_tagged",
    "read_tagged_jsonl",
]


class TaggingDataError(DataError):
    """A file of tagged words cannot be read: a bad line, unequal word and tag lists."""


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence: its words and one tag per word."""

    words: list[str]
    tags: list[str]
    line: int
    """The file's line of the first word (CoNLL) or of the row (JSON lines), counted from 1."""


@dataclass(frozen=True)
class TaggedData:
    """The sentences of one file, the tags they use and notes on how it was read."""

    path: Path
    sentences: list[TaggedSentence]
    tag_names: list[str]
    """``O`` first, then each entity type's tags (B-, I-, E-, S-), types in name order."""
    notes: list[Message] = field(default_factory=list)

    @property
    def entity_types(self) -> list[str]:
        """The entity types (``PER``, ``LOC``, ...), in name order."""
        return sorted({tag.partition("-")[2] for tag in self.tag_names if tag != OUTSIDE})


def read_tagged(
    path: str | Path, tag_names: Sequence[str] | None = None,
    word_key: str | None = None, tag_key: str | None = None,
) -> TaggedData:  # fmt: skip
    """A file of tagged words: JSON lines for ``.jsonl``/``.json``, CoNLL otherwise."""
    path = Path(path)
    if path.suffix.lower() in JSON_EXTENSIONS:
        return read_tagged_jsonl(path, tag_names, word_key, tag_key)
    return read_conll(path)


def read_conll(path: str | Path) -> TaggedData:
    """Sentences of a CoNLL file (the word first, the tag last, a blank line between sentences).

    Raises:
        TaggingDataError: a line with one column, or no sentence at all.
        TagSchemeError: a tag that is not IOB, or IOBES entities that are not whole.
        DataError: a missing file or one that is not UTF-8.
    """
    path = _existing(path)
    sentences: list[TaggedSentence] = []
    words: list[str] = []
    tags: list[str] = []
    first = 0
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        columns = _columns(raw)
        if not columns or columns[0] == DOCSTART:
            if words:
                sentences.append(TaggedSentence(words, tags, first))
            words, tags = [], []
            continue
        if len(columns) < 2:
            raise TaggingDataError(
                say(
                    "{where}: '{text}' has one column; each line needs a word and its tag "
                    "(other columns between them are allowed, the tag comes last)",
                    where=_line(path, number),
                    text=raw.strip()[:60],
                )
            )
        first = first if words else number
        words.append(columns[0])
        tags.append(columns[-1])
    if words:
        sentences.append(TaggedSentence(words, tags, first))
    # one line per word, without gaps: word i of a sentence is on its first line + i
    return _finish(path, sentences, lambda s, i: _line(path, s.line + i))


def read_tagged_jsonl(
    path: str | Path, tag_names: Sequence[str] | None = None,
    word_key: str | None = None, tag_key: str | None = None,
) -> TaggedData:  # fmt: skip
    """Sentences of a JSON lines file, one object per line with a word list and a tag list.

    ``word_key`` and ``tag_key`` name the lists; by default the first of :data:`WORD_KEYS` and
    :data:`TAG_KEYS` found. Numeric tags are looked up in ``tag_names``.

    Raises:
        TaggingDataError: a line that is not a JSON object with both lists, lists of unequal
            lengths, numeric tags without names (or beyond them), or no sentence at all.
        TagSchemeError: a tag that is not IOB, or IOBES entities that are not whole.
    """
    path = _existing(path)
    sentences: list[TaggedSentence] = []
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        if not raw.strip():
            continue
        where = _line(path, number)
        row = _json_row(raw, where)
        word_key = word_key or _key(row, WORD_KEYS, where, "words")
        tag_key = tag_key or _key(row, TAG_KEYS, where, "tags")
        words = _words(row.get(word_key), word_key, where)
        tags = _tags(row.get(tag_key), tag_key, tag_names, where)
        if len(words) != len(tags):
            raise TaggingDataError(
                say(
                    "{where}: {words:,} words but {tags:,} tags; each word needs one tag",
                    where=where,
                    words=len(words),
                    tags=len(tags),
                )
            )
        if words:
            sentences.append(TaggedSentence(words, tags, number))
    return _finish(path, sentences, lambda s, i: _word(path, s.line, i))


def looks_like_conll(path: str | Path) -> tuple[bool, Message]:
    """Whether ``path`` looks like a CoNLL file of tagged words, and why (for a task detector).

    Looks at the first :data:`SNIFF_LINES` lines: each must have at least two columns and end
    with an IOB tag, and at least one tag must name an entity.
    """
    path = Path(path)
    if path.suffix.lower() in (*JSON_EXTENSIONS, ".csv", ".parquet"):
        return False, say("{name} is a {ext} file, not CoNLL", name=path.name, ext=path.suffix)
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 20).decode("utf-8-sig", errors="replace")
    except OSError:
        return False, say("file or folder not found: {path}", path=path)
    seen, entities = 0, 0
    for number, raw in enumerate(head.splitlines()[:SNIFF_LINES], 1):
        columns = _columns(raw)
        if not columns or columns[0] == DOCSTART:
            continue
        if len(columns) < 2 or not is_iob_tag(columns[-1]):
            return False, say(
                "line {line} of {name} does not end with an IOB tag: '{text}'",
                line=number,
                name=path.name,
                text=raw.strip()[:60],
            )
        seen += 1
        entities += columns[-1] != OUTSIDE
    if not entities:
        return False, say("no entity tags (B-, I-, ...) in {name}", name=path.name)
    return True, say(
        "every line of {name} looked at ({lines:,}) is a word and its IOB tag",
        name=path.name,
        lines=seen,
    )


# ----------------------------------------------------------------------------- helpers
def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(say("file or folder not found: {path}", path=path))
    return path


def _columns(raw: str) -> list[str]:
    """A CoNLL line's columns: split at tabs if it has any (words may hold spaces), else at
    runs of spaces."""
    if "\t" in raw:
        return [column.strip() for column in raw.strip().split("\t") if column.strip()]
    return raw.split()


def _line(path: Path, number: int) -> Message:
    return say("{path} line {line}", path=path, line=number)


def _word(path: Path, number: int, index: int) -> Message:
    return say("{path} line {line}, word {word}", path=path, line=number, word=index + 1)


def _json_row(raw: str, where: Message) -> dict[str, Any]:
    try:
        row = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TaggingDataError(
            say("{where}: not valid JSON ({error})", where=where, error=exc.msg)
        ) from None
    if not isinstance(row, dict):
        raise TaggingDataError(
            say(
                "{where}: expected a JSON object with a list of words and a list of tags",
                where=where,
            )  # fmt: skip
        )
    return row


def _key(row: dict[str, Any], keys: Sequence[str], where: Message, what: str) -> str:
    for key in keys:
        if key in row:
            return key
    expected, found = ", ".join(keys), ", ".join(map(str, row))
    if what == "words":
        message = say("{where}: no list of words; name it one of {expected} (keys found: "
                      "{found})", where=where, expected=expected, found=found)  # fmt: skip
    else:
        message = say("{where}: no list of tags; name it one of {expected} (keys found: "
                      "{found})", where=where, expected=expected, found=found)  # fmt: skip
    raise TaggingDataError(message)


def _words(value: Any, key: str, where: Message) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        raise TaggingDataError(
            say("{where}: '{key}' must be a list of strings", where=where, key=key)
        )
    return value


def _tags(value: Any, key: str, names: Sequence[str] | None, where: Message) -> list[str]:
    if isinstance(value, list) and all(isinstance(tag, str) for tag in value):
        return value
    if not isinstance(value, list) or not all(
        isinstance(tag, int) and not isinstance(tag, bool) for tag in value
    ):
        raise TaggingDataError(
            say(
                "{where}: '{key}' must be a list of tags (strings, or numbers with tag names)",
                where=where,
                key=key,
            )  # fmt: skip
        )
    if names is None:
        raise TaggingDataError(
            say(
                "{where}: the tags are numbers; give their names (tag_names, e.g. the dataset's "
                "ClassLabel names) to read them",
                where=where,
            )  # fmt: skip
        )
    for tag in value:
        if not 0 <= tag < len(names):
            raise TaggingDataError(
                say(
                    "{where}: tag number {number} has no name; there are {count} tag names",
                    where=where,
                    number=tag,
                    count=len(names),
                )  # fmt: skip
            )
    return [names[tag] for tag in value]


def _finish(
    path: Path, sentences: list[TaggedSentence], where: Callable[[TaggedSentence, int], Message]
) -> TaggedData:
    """Check the tags, bring IOB1 to IOB2 and collect the tag set."""
    if not sentences:
        raise TaggingDataError(say("{path} holds no tagged sentences", path=path))
    for sentence in sentences:
        check_tags(sentence.tags, partial(where, sentence))
    notes: list[Message] = []
    if uses_iobes([sentence.tags for sentence in sentences]):
        for sentence in sentences:
            check_iobes(sentence.tags, partial(where, sentence))
    else:
        changed = 0
        for index, sentence in enumerate(sentences):
            tags, count = to_iob2(sentence.tags)
            sentences[index] = TaggedSentence(sentence.words, tags, sentence.line)
            changed += count
        if changed:
            notes.append(
                say(
                    "{name} uses IOB1 tags: {count:,} entities starting with I- now start with "
                    "B- (IOB2)",
                    name=path.name,
                    count=changed,
                )  # fmt: skip
            )
    return TaggedData(path, sentences, _tag_order(sentences), notes)


def _tag_order(sentences: list[TaggedSentence]) -> list[str]:
    tags = {tag for sentence in sentences for tag in sentence.tags} - {OUTSIDE}
    by_type = sorted(tags, key=lambda tag: (tag[2:], PREFIXES.index(tag[0])))
    return [OUTSIDE, *by_type]
