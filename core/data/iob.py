"""Tag schemes of tagged words: checking that tags are IOB and bringing IOB1 to IOB2.

A tag is ``O`` (outside every entity) or a prefix and an entity type joined by a hyphen:
``B-PER`` begins a person, ``I-PER`` continues one; IOBES adds ``E-`` (the last word of an
entity) and ``S-`` (a one-word entity). Files come in three schemes:

- IOB2 (CoNLL-2003 as distributed here): every entity starts with ``B-``.
- IOB1 (the original CoNLL-2003 release): an entity starts with ``I-`` and ``B-`` only
  separates two touching entities of the same type. It is converted to IOB2 (an ``I-X`` that
  does not continue an ``X`` becomes ``B-X``), which scores the same and gives the model one
  consistent label for "first word of an entity".
- IOBES: kept as it is, but each entity must be whole (``B- I-* E-`` or ``S-``).

Anything else (``PER``, ``B_PER``, ``U-PER``, a bare ``B-``) is refused with its place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from core.errors import DataError
from core.messages import Message, say

PREFIXES = ("B", "I", "E", "S")
OUTSIDE = "O"


class TagSchemeError(DataError):
    """A tag is not IOB/IOBES, or a sequence of tags does not form whole entities."""


def split_tag(tag: str) -> tuple[str, str] | None:
    """``(prefix, type)`` of an IOB tag (``("O", "")`` for ``O``); None if it is not one."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, hyphen, kind = tag.partition("-")
    if hyphen and prefix in PREFIXES and kind.strip():
        return prefix, kind
    return None


def is_iob_tag(tag: str) -> bool:
    """Whether ``tag`` is ``O`` or B-/I-/E-/S- followed by an entity type."""
    return split_tag(tag) is not None


def check_tags(tags: Sequence[str], where: Callable[[int], Message]) -> None:
    """Refuse the first tag that is not an IOB tag; ``where(i)`` names the place of tag ``i``."""
    for i, tag in enumerate(tags):
        if split_tag(tag) is None:
            raise TagSchemeError(
                say(
                    "{where}: tag '{tag}' is not an IOB tag; use O, or B-, I-, E- or S- "
                    "followed by the entity type (e.g. B-PER)",
                    where=where(i),
                    tag=tag,
                )
            )


def uses_iobes(tag_lists: Sequence[Sequence[str]]) -> bool:
    """Whether any tag is an E- or S- tag (the IOBES scheme)."""
    return any(tag[:2] in ("E-", "S-") for tags in tag_lists for tag in tags)


def to_iob2(tags: Sequence[str]) -> tuple[list[str], int]:
    """IOB1 or IOB2 tags as IOB2, and how many tags changed (``I-X`` starting an entity)."""
    converted: list[str] = []
    previous = OUTSIDE
    changed = 0
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            tag = "B-" + tag[2:]
            changed += 1
        converted.append(tag)
        previous = tag
    return converted, changed


def check_iobes(tags: Sequence[str], where: Callable[[int], Message]) -> None:
    """Refuse an IOBES sequence whose entities are not whole (``B- I-* E-`` or ``S-``)."""
    open_type = ""  # the type of an entity begun by B- and not yet ended by E-
    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag) or (OUTSIDE, "")
        continues = prefix in ("I", "E")
        if continues != bool(open_type) or (continues and kind != open_type):
            raise TagSchemeError(
                say(
                    "{where}: tag '{tag}' breaks an IOBES entity; an entity is B- I-... E- "
                    "of one type, or S- alone",
                    where=where(i),
                    tag=tag,
                )
            )
        open_type = kind if prefix in ("B", "I") else ""
    if open_type:
        raise TagSchemeError(
            say(
                "{where}: the sentence ends inside a {kind} entity; IOBES entities end with E-",
                where=where(len(tags) - 1),
                kind=open_type,
            )
        )
