"""Handing freed memory back to the system once a run or a cache lets go of it.

Dropping the last reference frees Python objects and tensors, but glibc's allocator keeps the
freed heap pages mapped for reuse, so the process's resident size stays at its peak; a long-
lived app would keep every run's peak for good. Arrow, which holds pandas' text columns, keeps
freed memory in its own pool (mimalloc or jemalloc) likewise. :func:`release_memory` collects
cycles, empties Arrow's pool and the CUDA cache, and asks glibc to return free pages
(``malloc_trim``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys
from functools import lru_cache

import torch

ONEDNN_CACHE_ENTRIES = 64
"""Compiled CPU kernels oneDNN keeps (its default is 1024). bf16 matrix products compile one
per input shape, and every text length makes new shapes: a long-lived app kept hundreds of MB
of kernels after one run on long texts. 64 hold a run's recurring shapes; a person's own
``ONEDNN_PRIMITIVE_CACHE_CAPACITY`` wins. oneDNN reads it at its first kernel, after this
module is imported (the app, the trainer and the predictor import it first)."""

os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", str(ONEDNN_CACHE_ENTRIES))


@lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    """The C library when it is glibc (the only one with ``malloc_trim``), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):  # musl and others: nothing to trim
        return None


def freeze_loaded() -> None:
    """Keep every object alive now out of the garbage collector's sight for good.

    Called once the libraries are loaded (the app's start, a command line's start): their
    half a million modules, classes and functions live as long as the process, yet every full
    collection walks them, a third of a second each on this machine, and a run collects three
    times (after reading its data, and twice as it lets go of its model). Objects made later
    are collected as before.
    """
    gc.freeze()


def release_memory() -> bool:
    """Collect garbage and return freed heap to the system; True when the heap was trimmed."""
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    arrow = sys.modules.get("pyarrow")  # only when something read a table with it
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
