"""Tokenised texts kept compactly: every row's ids in one flat int32 array.

A list of Python lists costs about 36 bytes per token (a pointer and an int object each, and
the tokenizer's own per-row records on top while they live); the flat arrays cost 4 bytes per
id and 1 per type id. Texts are tokenised in chunks, so the tokenizer's records for only one
chunk exist at a time, and each text is cut to a length that still yields every token the model
keeps (:func:`clip`) before the tokenizer sees it, so a 1 MB row costs what a long review costs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from core.tasks import DEFAULT_TASK, get_task

CHUNK_ROWS = 1024
"""Texts tokenised per call of the tokenizer."""

CHARS_PER_TOKEN = 32
"""Characters allowed per kept token before a text is cut. Prose averages 4-5 characters a
token in English and 1-2 in Chinese, so a cut text still holds several times the tokens kept;
a text whose cut part holds too few (long runs of spaces, say) is tokenised from a longer part
(:func:`_encode_long`), so the kept tokens are the same as without the cut."""

MIN_CLIP_CHARS = 4096
"""No text is cut shorter than this, whatever ``max_length``."""


def clip_limit(max_length: int) -> int:
    """Characters of a text looked at when at most ``max_length`` tokens are kept."""
    return max(MIN_CLIP_CHARS, max_length * CHARS_PER_TOKEN)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when one is near the end (so
    no word is split: tokenizers split words on spaces, and the kept words stay whole)."""
    if len(text) <= limit:
        return text
    space = text.rfind(" ", limit * 3 // 4, limit)
    return text[: space if space > 0 else limit]


@dataclass(frozen=True)
class Tokens:
    """Token ids (and type ids when the model uses them) of many texts, one row per text.

    Row ``i`` is ``ids[starts[i]:starts[i + 1]]``. Indexing with an int gives that row as
    lists; with a slice, or :meth:`take` with indices, a new :class:`Tokens`.
    """

    ids: np.ndarray
    starts: np.ndarray
    type_ids: np.ndarray | None = None

    @classmethod
    def from_lists(
        cls, ids: Sequence[Sequence[int]], type_ids: Sequence[Sequence[int]] | None = None
    ) -> Tokens:
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        starts = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        total = int(starts[-1])
        flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int32, count=total)
        types = None
        if type_ids is not None:
            chained = itertools.chain.from_iterable(type_ids)
            types = np.fromiter(chained, dtype=np.uint8, count=total)
        return cls(flat, starts, types)

    @classmethod
    def join(cls, parts: Iterable[Tokens]) -> Tokens:
        parts = list(parts)
        if not parts:
            return cls(np.zeros(0, np.int32), np.zeros(1, np.int64))
        starts = [parts[0].starts]
        offset = int(parts[0].starts[-1])
        for part in parts[1:]:
            starts.append(part.starts[1:] + offset)
            offset += int(part.starts[-1])
        types = None
        if parts[0].type_ids is not None:
            types = np.concatenate([p.type_ids for p in parts])
        return cls(np.concatenate([p.ids for p in parts]), np.concatenate(starts), types)

    def __len__(self) -> int:
        return len(self.starts) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    @property
    def nbytes(self) -> int:
        types = 0 if self.type_ids is None else self.type_ids.nbytes
        return self.ids.nbytes + self.starts.nbytes + types

    @overload
    def __getitem__(self, index: int) -> dict[str, list[int]]: ...
    @overload
    def __getitem__(self, index: slice) -> Tokens: ...
    def __getitem__(self, index: int | slice) -> dict[str, list[int]] | Tokens:
        if isinstance(index, slice):
            return self.take(range(len(self))[index])
        start, end = self.starts[index], self.starts[index + 1]
        row = {"input_ids": self.ids[start:end].tolist()}
        if self.type_ids is not None:
            row["token_type_ids"] = self.type_ids[start:end].tolist()
        return row

    def take(self, indices: Sequence[int]) -> Tokens:
        """The rows at ``indices``, in that order."""
        rows = np.asarray(indices, dtype=np.int64)
        lengths = self.starts[rows + 1] - self.starts[rows]
        starts = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=starts[1:])
        positions = self._positions(rows, lengths, starts)
        types = None if self.type_ids is None else self.type_ids[positions]
        return Tokens(self.ids[positions], starts, types)

    def _positions(self, rows: np.ndarray, lengths: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Where in ``ids`` the tokens of ``rows`` lie, row after row."""
        within = np.arange(int(starts[-1]), dtype=np.int64) - np.repeat(starts[:-1], lengths)
        return np.repeat(self.starts[rows], lengths) + within

    def batch(self, indices: Sequence[int], pad_id: int) -> dict[str, torch.Tensor]:
        """The rows at ``indices`` padded to the longest; the attention mask marks real tokens."""
        rows = np.asarray(indices, dtype=np.int64)
        lengths = self.starts[rows + 1] - self.starts[rows]
        width = int(lengths.max())
        mask = np.arange(width) < lengths[:, None]
        where = (self.starts[rows][:, None] + np.arange(width))[mask]
        ids = np.full((len(rows), width), pad_id, dtype=np.int64)
        ids[mask] = self.ids[where]
        batch = {"input_ids": torch.from_numpy(ids)}
        if self.type_ids is not None:
            types = np.zeros((len(rows), width), dtype=np.int64)
            types[mask] = self.type_ids[where]
            batch["token_type_ids"] = torch.from_numpy(types)
        batch["attention_mask"] = torch.from_numpy(mask.astype(np.int64))
        return batch


def tokenize(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[Any], max_length: int, task: str = ""
) -> Tokens:
    """Token ids (and type ids when the model uses them) per text, truncated to max_length.

    ``task`` (:mod:`core.tasks`; empty: one text per row) encodes its own rows: a pair task's
    ``(text, text_pair)`` rows go through the tokenizer's pair call.
    """
    if task and task != DEFAULT_TASK:
        encode = get_task(task).encode
        chunks = (texts[s : s + CHUNK_ROWS] for s in range(0, len(texts), CHUNK_ROWS))
        joined = Tokens.join(Tokens.from_lists(*encode(tokenizer, c, max_length)) for c in chunks)
        if len(texts) == 0 and _encode(tokenizer, [""], max_length)[1] is not None:
            joined = Tokens(joined.ids, joined.starts, np.zeros(0, np.uint8))
        return joined
    limit = clip_limit(max_length)
    parts = []
    for start in range(0, len(texts), CHUNK_ROWS):
        chunk = [str(t) for t in texts[start : start + CHUNK_ROWS]]
        ids, types = _encode(tokenizer, [clip(t, limit) for t in chunk], max_length)
        for i, text in enumerate(chunk):
            if len(text) > limit:  # the cut text: check it still holds every kept token
                ids[i], type_row = _encode_long(tokenizer, text, max_length, limit)
                if types is not None and type_row is not None:  # one tokenizer: both or neither
                    types[i] = type_row
        parts.append(Tokens.from_lists(ids, types))
    joined = Tokens.join(parts)
    if not parts:  # no texts: ask the tokenizer whether the model takes type ids
        _, types = _encode(tokenizer, [""], max_length)
        if types is not None:
            joined = Tokens(joined.ids, joined.starts, np.zeros(0, np.uint8))
    return joined


def _encode(
    tokenizer: PreTrainedTokenizerBase, texts: list[str], max_length: int
) -> tuple[list[list[int]], list[list[int]] | None]:
    encoded = tokenizer(texts, truncation=True, max_length=max_length, return_attention_mask=False)
    return encoded["input_ids"], encoded.get("token_type_ids")


def _encode_long(
    tokenizer: PreTrainedTokenizerBase, text: str, max_length: int, limit: int
) -> tuple[list[int], list[int] | None]:
    """The kept tokens of a text longer than ``limit``, from the shortest part of it that
    holds twice as many tokens as are kept (so the cut is far from them), or from all of it."""
    while True:
        part = clip(text, limit)
        if len(part) == len(text):
            break
        count = len(tokenizer(part, add_special_tokens=False, verbose=False)["input_ids"])
        if count >= 2 * max_length:
            break
        limit *= 4
    ids, types = _encode(tokenizer, [part], max_length)
    return ids[0], None if types is None else types[0]
