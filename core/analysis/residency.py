"""What the predictor keeps loaded, and how much of the host's and the GPU's memory it may take.

The predictor keeps base models and adapters loaded between predictions in a
:class:`ModelCache`. Each entry is counted where its tensors live: bytes on the CPU against the
host budget (a fixed number of bytes, like the app's other caches), bytes on a GPU against the
device budget (:class:`DeviceBudget`: a share of the GPU memory the predictor could have). An
adapter's entry names the base it was built around: the base's tensors are counted once, in the
base's own entry, and each adapter counts only its own tensors (its prompt, low-rank matrices,
bottlenecks, LayerNorms and head).

A base is touched whenever one of its adapters is, so it is always more recent than they are and
the least recently used adapters go before their base. A base that must go takes its adapters
with it: they hold its tensors, so its memory would not come back while they stay.

While a run trains on the predictor's GPU (:func:`core.training.jobs.current`), the device
budget is a smaller share (:data:`TRAINING_SHARE`), so the run keeps most of what it has not
taken yet. The budget is read again at every prediction: a run that starts makes the predictor
drop its least recently used models at its next prediction, and a model that does not fit even
alone is refused (:func:`refusal`) rather than loaded beside the run.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from core.errors import BusyError
from core.memory import release_memory
from core.messages import say
from core.training import jobs

DEVICE_SHARE = 0.5
"""Share of the GPU memory the predictor could have (free now plus what it holds) that it
keeps loaded while no run trains on that GPU: a run started later finds at least the rest free
(and the predictor gives back more at its next prediction)."""

TRAINING_SHARE = 0.25
"""The share while a run trains on the same GPU. The run's memory is already taken, not free,
when the budget is read; a quarter of the rest leaves the run three quarters to grow into."""

TRIM_BYTES = 32 * 2**20
"""Host bytes freed at once from which the heap is handed back to the system (as
:class:`core.cache.ByteLRU` does)."""

MB = 2**20

MemoryQuery = Callable[[str], tuple[int, int]]
"""(free bytes, total bytes) of a device, as :func:`torch.cuda.mem_get_info` gives them."""


def cuda_memory(device: str) -> tuple[int, int]:
    """Free and total bytes of a CUDA device, for every process together."""
    free, total = torch.cuda.mem_get_info(torch.device(device))
    return int(free), int(total)


class DeviceBudget:
    """Bytes the predictor may keep on a GPU: ``share`` of what it could have (free memory plus
    its own), ``training_share`` of it while a run trains on that GPU.

    ``query`` gives a device's free and total bytes (default :func:`cuda_memory`; tests give a
    fake one).
    """

    def __init__(
        self,
        share: float = DEVICE_SHARE,
        training_share: float = TRAINING_SHARE,
        query: MemoryQuery = cuda_memory,
    ) -> None:
        for name, value in (("share", share), ("training_share", training_share)):
            if not 0.0 < value <= 1.0:
                raise ValueError(
                    say("{name} must be more than 0 and at most 1, got {value}", name=name,
                        value=value)
                )  # fmt: skip
        self.share = share
        self.training_share = training_share
        self.query = query

    def training(self, device: str) -> bool:
        """Whether a run trains on ``device`` (a GPU) now."""
        return device != "cpu" and jobs.current(device) is not None

    def __call__(self, device: str, held: int) -> int:
        """Bytes the predictor may keep on ``device``, holding ``held`` bytes there now."""
        free, _ = self.query(device)
        share = self.training_share if self.training(device) else self.share
        return int(share * (free + held))


def tensor_bytes(tensors: Iterable[torch.Tensor], shared: Iterable[int] = ()) -> tuple[int, int]:
    """(host, device) bytes of ``tensors``, each storage counted once, those whose storage is
    in ``shared`` (storage addresses) not at all."""
    host = device = 0
    seen = set(shared)
    for tensor in tensors:
        storage = tensor.untyped_storage()
        if storage.data_ptr() in seen:
            continue
        seen.add(storage.data_ptr())
        if tensor.device.type == "cpu":
            host += storage.nbytes()
        else:
            device += storage.nbytes()
    return host, device


def module_tensors(module: nn.Module) -> Iterator[torch.Tensor]:
    """Every parameter and buffer of ``module`` (what its memory holds)."""
    return itertools.chain(module.parameters(), module.buffers())


def storages(tensors: Iterable[torch.Tensor]) -> set[int]:
    """Addresses of the storages holding ``tensors``."""
    return {t.untyped_storage().data_ptr() for t in tensors}


@dataclass
class Entry:
    """A kept value, its bytes on the host and on the device, and the base it is built on."""

    value: Any
    host: int
    device: int
    base: Hashable | None = None


class ModelCache:
    """Thread-safe: bases and adapters by key, least recently used first, within two budgets.

    ``host_budget``: bytes on the CPU at most. ``device_budget(held)``: bytes on the device at
    most, given the bytes held there now; read only while some are held or wanted.
    """

    def __init__(self, host_budget: int, device_budget: Callable[[int], int]) -> None:
        if host_budget < 0:
            raise ValueError(say("host_budget must be 0 or more, got {budget}", budget=host_budget))
        self.host_budget = host_budget
        self.device_budget = device_budget
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._host = self._device = 0
        self._lock = threading.Lock()

    @property
    def host_bytes(self) -> int:
        """Bytes the entries hold on the host."""
        return self._host

    @property
    def device_bytes(self) -> int:
        """Bytes the entries hold on the device."""
        return self._device

    def keys(self) -> list[Hashable]:
        """Keys from the least to the most recently used."""
        with self._lock:
            return list(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable) -> Any:
        """The value of ``key`` (now the most recent, and its base just after it), or None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            if entry.base in self._entries:
                self._entries.move_to_end(entry.base)
            return entry.value

    def put(
        self, key: Hashable, value: Any, host: int, device: int, base: Hashable | None = None
    ) -> bool:
        """Keep ``value`` (``host`` and ``device`` bytes of its own, built on the kept entry
        ``base``); True when it fits, dropping the least recently used others as needed.
        A value that does not fit even alone is not kept and drops nothing."""
        self.pop(key)
        with self._lock:
            if base is not None and base not in self._entries:
                raise KeyError(f"{base!r} is not kept; count its bytes in the entry instead")
            keep = {key} if base is None else {key, base}
            dropped = self._room_for(host, device, keep, allocated=True)
            if dropped is None:
                return False
            self._entries[key] = Entry(value, host, device, base)
            self._host += host
            self._device += device
            if base is not None:
                self._entries.move_to_end(base)
            freed = self._drop(dropped)
        self._release(*freed)
        return True

    def make_room(self, host: int, device: int, keep: Iterable[Hashable] = ()) -> bool:
        """Drop the least recently used entries but ``keep`` (and their bases) until ``host``
        and ``device`` more bytes fit; False, dropping nothing, when they cannot."""
        with self._lock:
            dropped = self._room_for(host, device, set(keep))
            freed = self._drop(dropped or [])
        self._release(*freed)
        return dropped is not None

    def fit(self, keep: Iterable[Hashable] = ()) -> bool:
        """Bring the entries within the budgets as they are now (a run may have started on
        the device); False when ``keep`` alone does not fit (then nothing is dropped)."""
        if self._device == 0 and self._host <= self.host_budget:
            return True  # only the device's budget changes, and nothing is kept there
        return self.make_room(0, 0, keep)

    def footprint(self, key: Hashable) -> int:
        """Bytes that keeping ``key`` takes, host and device: its own and its base's."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return 0
            base = self._entries.get(entry.base) if entry.base is not None else None
            return sum(e.host + e.device for e in (entry, base) if e is not None)

    def pop(self, key: Hashable) -> Any:
        """Drop ``key`` (and, for a base, the adapters built on it); its value or None."""
        with self._lock:
            entry = self._entries.get(key)
            freed = self._drop(self._with_dependents([key]) if entry else [])
        self._release(*freed)
        return None if entry is None else entry.value

    def clear(self) -> None:
        with self._lock:
            freed = self._drop(list(self._entries))
        self._release(*freed)

    def _room_for(
        self, host: int, device: int, keep: set[Hashable], allocated: bool = False
    ) -> list[Hashable] | None:
        """Keys to drop, least recently used first, for ``host`` and ``device`` more bytes to
        fit (call with the lock); None when dropping every other entry would not do.

        ``allocated``: the new bytes are on the device already, so they are no longer free
        but held (the budget is a share of both together).
        """
        keep |= {self._entries[k].base for k in keep if k in self._entries}
        host_total, device_total = self._host + host, self._device + device
        held = device_total if allocated else self._device
        budget = self.device_budget(held) if device_total > 0 else 0
        dropped: list[Hashable] = []
        for key in list(self._entries):
            if host_total <= self.host_budget and device_total <= budget:
                break
            group = [k for k in self._with_dependents([key]) if k not in dropped]
            if key in keep or any(k in keep for k in group):
                continue
            dropped += group
            host_total -= sum(self._entries[k].host for k in group)
            device_total -= sum(self._entries[k].device for k in group)
        if host_total > self.host_budget or device_total > budget:
            return None
        return dropped

    def _with_dependents(self, keys: list[Hashable]) -> list[Hashable]:
        """``keys`` and the entries built on them (call with the lock)."""
        wanted = set(keys)
        return [*keys, *(k for k, e in self._entries.items() if e.base in wanted)]

    def _drop(self, keys: Iterable[Hashable]) -> tuple[int, int]:
        """Remove ``keys`` (call with the lock); the (host, device) bytes freed."""
        host = device = 0
        for key in dict.fromkeys(keys):
            entry = self._entries.pop(key)
            host += entry.host
            device += entry.device
        self._host -= host
        self._device -= device
        return host, device

    @staticmethod
    def _release(host: int, device: int) -> None:
        """Hand freed memory back: to the system, and the GPU's to other users (a run)."""
        if host >= TRIM_BYTES or device > 0:
            release_memory()


def refusal(device: str, need: int, budget: int) -> BusyError:
    """Why a model of ``need`` bytes is not loaded beside the run training on ``device``."""
    return BusyError(
        say(
            "a run is training on {device}, and predictions may keep {budget} MB of its memory "
            "beside it, too little for this model ({need} MB); predict once the run has "
            "ended, or stop it",
            device=device,
            budget=budget // MB,
            need=-(-need // MB),
        )
    )
