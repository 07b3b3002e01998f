"""Domain exceptions raised by the engine. Only ``app/`` turns them into UI messages.

A :class:`PTuneError` is the person's to fix, and its message says how; any other exception is
a bug, which the app logs with its traceback instead of offering it as advice.
"""

from collections.abc import Sequence
from typing import Any


class PTuneError(Exception):
    """Base class for every error the engine reports to a person."""


class ConfigError(PTuneError, ValueError):
    """A training setting is out of range or inconsistent; the message lists every problem."""


class ConfigProblems(ConfigError):
    """A run's settings have problems; ``problems`` lists each with the setting it concerns."""

    def __init__(self, problems: Sequence[Any]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = list(problems)


class DataError(PTuneError, ValueError):
    """The dataset cannot be read or is unusable for training."""


class InputError(PTuneError, ValueError):
    """Something a person gave (a text, a pick, a file, a value) cannot be used as it is."""


class ModelLoadError(PTuneError):
    """The base model cannot be loaded (missing folder, offline hub id, unsupported format)."""


class UnsupportedModelError(PTuneError):
    """The chosen method does not support this model architecture."""


class AdapterLoadError(PTuneError):
    """A saved adapter folder is missing, incomplete or does not match its base model."""


class BusyError(PTuneError):
    """Another run already occupies this device."""


class CheckpointError(PTuneError):
    """A resumable checkpoint is missing or does not match the run."""


class OutputFolderError(PTuneError):
    """The output folder holds a folder a run would replace that PTune Studio did not write."""


class RunStateError(PTuneError):
    """The run's status does not allow what was asked (e.g. resuming a run that succeeded)."""


class ExportError(PTuneError):
    """An adapter cannot be exported as asked (a method or pooling a plain model lacks)."""


def message_of(exc: BaseException) -> str:
    """The exception's message, kept as the engine wrote it (a translatable
    :class:`~core.messages.Message` stays one; ``str(exc)`` would copy it to plain text)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return exc.args[0]
    return str(exc)
