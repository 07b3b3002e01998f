"""Storage layer: one SQLite record of every run, its metrics and its adapter.

Works on its own (no torch, gradio or ``core`` imports) with a file or ``":memory:"``.
"""

from .connection import default_db_path, default_home
from .errors import (
    AdapterNotFoundError,
    ArchiveError,
    CheckpointMissingError,
    CorruptDatabaseError,
    DatabaseLockedError,
    ForeignDatabaseError,
    GroupStateError,
    InvalidNameError,
    NoDatabaseError,
    RunNotFoundError,
    StorageError,
    UnsafePathError,
)
from .store import STATUSES, Store

__all__ = [
    "STATUSES",
    "AdapterNotFoundError",
    "ArchiveError",
    "CheckpointMissingError",
    "CorruptDatabaseError",
    "DatabaseLockedError",
    "ForeignDatabaseError",
    "GroupStateError",
    "InvalidNameError",
    "NoDatabaseError",
    "RunNotFoundError",
    "StorageError",
    "Store",
    "UnsafePathError",
    "default_db_path",
    "default_home",
]
