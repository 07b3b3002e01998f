"""Small helpers shared by the storage modules: time stamps, JSON, hashing, error mapping."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from .errors import CorruptDatabaseError, DatabaseLockedError, StorageError

F = TypeVar("F", bound=Callable[..., Any])


def now_iso() -> str:
    """The current UTC time as ISO-8601 text, e.g. ``2025-01-31T12:00:00.123+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} cannot be stored as JSON")


def to_json(value: Any, indent: int | None = None) -> str:
    """JSON text of ``value`` (numpy/torch numbers and paths become plain JSON)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False, indent=indent)


def from_json(text: str | None) -> Any:
    """The value of JSON ``text``; ``None`` stays ``None``."""
    return None if text is None else json.loads(text)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def manifest_sha256(manifest: dict[str, str]) -> str:
    """The sha256 of a {path: sha256} manifest, as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
    return sha256_bytes(text.encode("utf-8"))


def is_locked(error: sqlite3.Error) -> bool:
    """Whether a sqlite3 error means another connection holds a lock."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


def storage_error(error: sqlite3.Error, path: str) -> StorageError:
    """The StorageError that explains a raw sqlite3 error on the database at ``path``."""
    if is_locked(error):
        return DatabaseLockedError(
            f"the database {path} stayed locked by another program past the busy timeout; "
            "wait for the other program (a training run, a sqlite3 shell) to finish and try again"
        )
    text = str(error).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CorruptDatabaseError(
            f"the database {path} is damaged ({error}); restore it from a backup or move it "
            "away and start with a new one"
        )
    return StorageError(f"database error on {path}: {error}")


def translate_errors(method: F) -> F:
    """Decorator for Store methods: raw sqlite3 errors become StorageError subclasses."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as error:
            # OperationalError: locks, I/O; plain DatabaseError: a damaged file. Integrity and
            # programming errors are bugs and stay as they are.
            if not isinstance(error, sqlite3.OperationalError) and type(error) is not (
                sqlite3.DatabaseError
            ):
                raise
            raise storage_error(error, str(self.path)) from error

    return wrapper  # type: ignore[return-value]
