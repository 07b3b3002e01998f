"""Things outside the database: whether a run's process lives, and its checkpoint folders."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from . import ownership
from .errors import StorageError

REUSE_SLACK_SECONDS = 1.0
"""How much later than the recorded time a process may seem to have started and still be the
one that recorded it (the kernel's boot time is whole seconds, so start times are rounded)."""


def _timestamp(recorded_at: str | None) -> float | None:
    try:
        return datetime.fromisoformat(recorded_at).timestamp() if recorded_at else None
    except ValueError:  # a malformed time: no opinion
        return None


def _started_before_boot(recorded: float) -> bool:
    """Whether the time is before this machine last booted (so its pid may be reused)."""
    try:
        import psutil

        return recorded < psutil.boot_time()
    except Exception:  # psutil missing: no opinion
        return False


def _started_after(pid: int, recorded: float) -> bool:
    """Whether process ``pid`` started after ``recorded``: then it cannot be the process that
    wrote the row, but a later one given the same pid (an app restarted in a container gets
    the same small pid again)."""
    try:
        import psutil

        return psutil.Process(pid).create_time() > recorded + REUSE_SLACK_SECONDS
    except Exception:  # psutil missing, or the process just ended or cannot be read
        return False


def pid_alive(pid: int | None, recorded_at: str | None = None) -> bool:
    """Whether process ``pid`` on this host may still run the run or sweep it recorded at
    ``recorded_at`` (ISO time); unknown counts as alive.

    A row recorded before the last boot, or whose pid now belongs to a process started after
    the row was written, has no live process whatever holds its pid now.
    """
    if pid is None:
        return True
    recorded = _timestamp(recorded_at)
    if recorded is not None and _started_before_boot(recorded):
        return False
    if os.name == "nt":
        try:
            import psutil
        except ImportError:
            return True  # os.kill on Windows would terminate the process
        if not psutil.pid_exists(pid):
            return False
    else:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            pass  # e.g. PermissionError: it exists, under another user
    return recorded is None or not _started_after(pid, recorded)


def recorded_checkpoints(db: Database) -> set[str]:
    """Every checkpoint path still recorded by a run or an adapter."""
    rows = db.execute(
        "SELECT checkpoint_path FROM runs WHERE checkpoint_path IS NOT NULL "
        "UNION SELECT checkpoint_path FROM adapters WHERE checkpoint_path IS NOT NULL"
    ).fetchall()
    return {str(Path(r[0]).absolute()) for r in rows}


def _inside(folder: Path, home: Path) -> bool:
    try:
        folder.resolve().relative_to(home.resolve())
    except ValueError:
        return False
    return folder.resolve() != home.resolve()


def remove_folders(
    folders: list[str | Path], home: Path, db_path: Path | str, in_use: set[str]
) -> list[Path]:
    """Delete what PTune wrote in each folder that exists, lies inside ``home``, holds not the
    database and is not recorded by another run (:func:`ownership.remove_owned`: files PTune
    did not write stay, and so does the folder holding them); the folders removed. A missing
    folder is fine."""
    removed = []
    for item in dict.fromkeys(str(Path(f).absolute()) for f in folders):
        folder = Path(item)
        if item in in_use or folder.is_symlink() or not folder.is_dir():
            continue
        if not _inside(folder, home):
            continue
        if isinstance(db_path, Path) and db_path.resolve().is_relative_to(folder.resolve()):
            continue
        try:
            if not ownership.remove_owned(folder):
                continue
        except OSError as error:
            raise StorageError(
                f"the run was deleted but its checkpoint folder {folder} could not be removed "
                f"({error}); delete that folder by hand"
            ) from error
        removed.append(folder)
    return removed
