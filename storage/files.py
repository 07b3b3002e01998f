"""Things outside the database: whether a run's process lives, and its checkpoint folders."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from . import ownership
from .errors import StorageError


def _started_before_boot(started_at: str | None) -> bool:
    """Whether the run started before this machine last booted (so its pid may be reused)."""
    try:
        import psutil

        return bool(started_at) and datetime.fromisoformat(started_at).timestamp() < (
            psutil.boot_time()
        )
    except Exception:  # psutil missing or a malformed time: no opinion
        return False


def pid_alive(pid: int | None, started_at: str | None = None) -> bool:
    """Whether process ``pid`` on this host may still run its run; unknown counts as alive.

    A run started before the last boot is dead whatever now holds its pid.
    """
    if pid is None:
        return True
    if _started_before_boot(started_at):
        return False
    if os.name == "nt":
        try:
            import psutil
        except ImportError:
            return True  # os.kill on Windows would terminate the process
        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. PermissionError: it exists, under another user
    return True


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
