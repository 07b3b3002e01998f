"""Adapter folders stored as blobs: one ``adapters`` row and one ``adapter_files`` row per file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from .connection import Connections
from .errors import AdapterNotFoundError, CorruptDatabaseError, StorageError, UnsafePathError
from .util import manifest_sha256, now_iso, sha256_bytes


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (recursively) by relative posix path."""
    if not folder.is_dir():
        raise StorageError(f"adapter folder {folder} does not exist or is not a folder")
    contents = {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    if not contents:
        raise StorageError(f"adapter folder {folder} holds no files; save the adapter first")
    return contents


def write_adapter_rows(
    conn: Connections,
    run_id: int,
    contents: dict[str, bytes],
    *,
    kind: str,
    checkpoint_path: str | None,
    created_at: str | None = None,
) -> dict[str, Any]:
    """Replace the run's adapter with ``contents`` (inside the caller's or a new transaction)."""
    manifest = {path: sha256_bytes(data) for path, data in sorted(contents.items())}
    info = {"size": sum(len(d) for d in contents.values()), "sha256": manifest_sha256(manifest)}
    with conn.write() as db:
        conn.require_run(run_id)
        db.execute("DELETE FROM adapter_files WHERE run_id = ?", [run_id])
        db.execute("DELETE FROM adapters WHERE run_id = ?", [run_id])
        db.table("adapters").insert(
            {
                "run_id": run_id,
                "kind": kind,
                **info,
                "checkpoint_path": checkpoint_path,
                "created_at": created_at or now_iso(),
            }
        )
        db.conn.executemany(
            "INSERT INTO adapter_files (run_id, path, content, size, sha256) "
            "VALUES (?, ?, ?, ?, ?)",
            [(run_id, p, contents[p], len(contents[p]), manifest[p]) for p in manifest],
        )
    return {**info, "files": manifest}


def save_adapter(
    conn: Connections, run_id: int, folder: Path, kind: str, checkpoint_path: Path | None
) -> dict[str, Any]:
    """Store every file under ``folder`` in one transaction, replacing an earlier adapter."""
    contents = read_folder(folder)
    checkpoint = None if checkpoint_path is None else str(Path(checkpoint_path).absolute())
    return write_adapter_rows(conn, run_id, contents, kind=kind, checkpoint_path=checkpoint)


def adapter_info(conn: Connections, run_id: int) -> dict[str, Any]:
    """The adapters row of the run plus ``files`` {path: sha256}."""
    rows = list(conn.db["adapters"].rows_where("run_id = ?", [run_id]))
    if not rows:
        conn.require_run(run_id)
        raise AdapterNotFoundError(
            f"run {run_id} has no stored adapter (it failed or was stopped before saving one); "
            "train it again to get an adapter"
        )
    files = conn.db.execute(
        "SELECT path, sha256 FROM adapter_files WHERE run_id = ? ORDER BY path", [run_id]
    ).fetchall()
    return {**rows[0], "files": dict(files)}


def safe_relative(path: str) -> PurePosixPath:
    """``path`` as a relative path that stays inside its folder; UnsafePathError otherwise."""
    pure = PurePosixPath(path.replace("\\", "/"))
    if not path or pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
        raise UnsafePathError(
            f"unsafe file path {path!r} in a stored adapter (it would be written outside its "
            "folder); import the run again from an export you trust"
        )
    return pure


def file_rows(conn: Connections, run_id: int) -> Iterator[tuple[str, bytes, str]]:
    """The run's stored adapter files as (path, content, sha256), by path."""
    yield from conn.db.execute(
        "SELECT path, content, sha256 FROM adapter_files WHERE run_id = ? ORDER BY path", [run_id]
    )


def load_adapter(conn: Connections, run_id: int, dest: Path) -> Path:
    """Write the run's adapter files into ``dest`` (created), verifying every sha256."""
    info = adapter_info(conn, run_id)
    checked: list[tuple[PurePosixPath, bytes]] = []
    for path, content, expected in file_rows(conn, run_id):
        if sha256_bytes(content) != expected:
            raise CorruptDatabaseError(
                f"adapter file {path} of run {run_id} is damaged in {conn.path} (sha256 "
                "mismatch); export it again from a good copy or retrain the run"
            )
        checked.append((safe_relative(path), content))
    if manifest_sha256(info["files"]) != info["sha256"]:
        raise CorruptDatabaseError(
            f"the adapter manifest of run {run_id} does not match its files in {conn.path}; "
            "retrain the run or import it again from an export"
        )
    dest.mkdir(parents=True, exist_ok=True)
    for relative, content in checked:
        target = dest.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return dest
