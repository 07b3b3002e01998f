"""Turning an exception that ended a run into one sentence a person can act on."""

from __future__ import annotations

import torch

from core.errors import PTuneError, message_of
from core.messages import say


def describe_failure(exc: BaseException) -> str:
    """One sentence a person can act on."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return say(
            "out of memory: lower the batch size or the max length, or pick a smaller "
            "model or a lighter method"
        )
    if isinstance(exc, (PTuneError, FloatingPointError)):
        return message_of(exc)
    return f"{type(exc).__name__}: {exc}"  # a bug's own words: not the engine's to translate
