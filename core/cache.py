"""A cache bounded by the bytes it holds: the least recently used entries go first.

The app keeps read tables, loaded datasets and models between clicks, keyed by what they were
read from; without a bound every re-saved file and every other dataset previewed would stay in
memory for the life of the app. Each entry has a size in bytes (given, or estimated by
:func:`size_of`) and may belong to a group, such as the file it was read from: storing a new
entry of a group drops the group's older ones, so a file's earlier versions go at once.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

from core.memory import release_memory

T = TypeVar("T")

_MISSING = object()


class ByteLRU:
    """A thread-safe mapping that keeps at most ``max_bytes`` of values.

    An entry larger than the whole budget is not kept (the caller still gets it). Evicting
    returns the freed heap to the system (:func:`core.memory.release_memory`) when at least
    ``trim_bytes`` went at once, so the app's resident size falls with the cache.
    """

    def __init__(self, max_bytes: int, trim_bytes: int = 32 * 2**20) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be 0 or more, got {max_bytes}")
        self.max_bytes = max_bytes
        self.trim_bytes = trim_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int, Hashable | None]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes the cache holds now (the sum of its entries' sizes)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def keys(self) -> list[Hashable]:
        """Keys from the least to the most recently used."""
        with self._lock:
            return list(self._entries)

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            self._entries.move_to_end(key)
            return entry[0]

    def __getitem__(self, key: Hashable) -> Any:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: Hashable, value: Any) -> None:
        self.put(key, value)

    def put(
        self, key: Hashable, value: Any, size: int | None = None, group: Hashable | None = None
    ) -> bool:
        """Keep ``value`` under ``key``; True when it was kept (it fits in the budget).

        ``size``: its bytes (estimated by :func:`size_of` when None). ``group``: entries of the
        same group with other keys are dropped first.
        """
        size = size_of(value) if size is None else int(size)
        with self._lock:
            stale = [k for k, e in self._entries.items() if group is not None and e[2] == group]
            freed = self._drop({*stale, key} & self._entries.keys())
            kept = size <= self.max_bytes
            if kept:
                self._entries[key] = (value, size, group)
                self._bytes += size
                freed += self._drop(self._over_budget())
        if freed >= self.trim_bytes:
            release_memory()
        return kept

    def get_or_load(
        self,
        key: Hashable,
        load: Callable[[], T],
        size: Callable[[T], int] | None = None,
        group: Hashable | None = None,
    ) -> T:
        """The cached value of ``key``, else ``load()``'s, kept when it fits.

        Loading happens outside the lock, so a slow load does not hold up other keys.
        """
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = load()
            self.put(key, value, None if size is None else size(value), group)
        return value

    def pop(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            self._drop([key] if entry else [])
        return default if entry is None else entry[0]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        release_memory()

    def _over_budget(self) -> list[Hashable]:
        """The least recently used keys to drop for the rest to fit (call with the lock)."""
        excess, keys = self._bytes - self.max_bytes, []
        for key, (_, size, _) in self._entries.items():
            if excess <= 0:
                break
            keys.append(key)
            excess -= size
        return keys

    def _drop(self, keys: Iterable[Hashable]) -> int:
        """Remove ``keys`` (call with the lock); the bytes freed."""
        freed = 0
        for key in list(keys):
            _, size, _ = self._entries.pop(key)
            self._bytes -= size
            freed += size
        return freed


def size_of(value: Any, depth: int = 3) -> int:
    """Bytes a value holds, estimated: data frames and arrays by their buffers, models by
    their parameters and buffers, text and containers by what they hold (``depth`` levels)."""
    if hasattr(value, "memory_usage") and hasattr(value, "columns"):  # a pandas DataFrame
        return int(value.memory_usage(deep=True).sum())
    if hasattr(value, "nbytes") and not isinstance(value, type):  # arrays, tensors, Tokens
        return int(value.nbytes)
    if hasattr(value, "parameters") and hasattr(value, "buffers"):  # a torch module
        tensors = [*value.parameters(), *value.buffers()]
        return sum(t.numel() * t.element_size() for t in tensors)
    if isinstance(value, (str, bytes, int, float, bool)) or value is None or depth == 0:
        return sys.getsizeof(value)
    if isinstance(value, Mapping):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    elif hasattr(value, "__dict__"):  # a dataclass or plain object: what its fields hold
        items = list(vars(value).values())
    else:
        return sys.getsizeof(value)
    # Texts are the bulk of a dataset: every item of a long list is counted, not sampled.
    return sys.getsizeof(value) + sum(size_of(item, depth - 1) for item in items)
