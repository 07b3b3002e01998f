"""Run archives: one zip with ``run-<id>/`` holding adapter/, run.json, metrics.csv, README.md."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from . import adapters, runs
from . import metrics as run_metrics
from .columns import RUN_COLUMNS, STATUSES, encode_run_fields
from .connection import Connections
from .errors import AdapterNotFoundError, ArchiveError
from .readme import render_readme
from .util import manifest_sha256, now_iso, sha256_bytes, to_json

FORMAT = "ptune-studio-run"
FORMAT_VERSION = 1
CSV_COLUMNS = ("step", "epoch", "time", "split", "name", "value")
TOP_FILES = ("run.json", "metrics.csv", "README.md")
MAX_TOTAL_BYTES = 4 << 30
DROPPED_ON_IMPORT = ("id", "pid", "resumed_from", "checkpoint_path", "sweep_id")


def _metrics_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([[row[c] for c in CSV_COLUMNS] for row in rows])
    return out.getvalue()


def export_run(conn: Connections, run_id: int, zip_path: Path) -> Path:
    """Write the run to ``zip_path`` (replaced atomically); the path written."""
    run = runs.get_run(conn, run_id)
    try:
        adapter = adapters.adapter_info(conn, run_id)
    except AdapterNotFoundError:
        adapter = None
    metrics = run_metrics.read_metrics(conn, run_id)
    manifest = adapter.pop("files") if adapter else {}
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "run": run,
        "adapter": adapter and {k: adapter[k] for k in ("kind", "size", "sha256", "created_at")},
        "manifest": manifest,
    }
    top = f"run-{run_id}"
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=zip_path.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(f"{top}/run.json", to_json(document, indent=2))
            zf.writestr(f"{top}/metrics.csv", _metrics_csv(metrics))
            zf.writestr(f"{top}/README.md", render_readme(run, adapter, metrics, list(manifest)))
            for path, content, _sha256 in adapters.file_rows(conn, run_id):
                zf.writestr(f"{top}/adapter/{path}", content)
        os.replace(tmp, zip_path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return zip_path


@dataclass
class Archive:
    """A validated archive, ready to insert."""

    run: dict[str, Any]
    adapter: dict[str, Any] | None
    files: dict[str, bytes] = field(default_factory=dict)
    metrics: list[tuple[Any, ...]] = field(default_factory=list)


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...]:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise ArchiveError(f"archive member {name!r} is a symbolic link; links are not accepted")
    pure = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or pure.is_absolute() or (pure.parts and ":" in pure.parts[0]):
        raise ArchiveError(f"archive member {name!r} has an absolute path; it is unsafe")
    if ".." in pure.parts:
        raise ArchiveError(f"archive member {name!r} escapes its folder with '..'; it is unsafe")
    return pure.parts


def _sort_members(zf: zipfile.ZipFile) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """The single top folder and its files by path inside it; ArchiveError if unsafe."""
    members = zf.infolist()
    if sum(m.file_size for m in members) > MAX_TOTAL_BYTES:
        raise ArchiveError("the archive unpacks to more than 4 GiB; it is not a run export")
    tops, files = set(), {}
    for info in members:
        parts = _member_parts(info)
        if not parts:
            continue
        tops.add(parts[0])
        if not info.is_dir() and len(parts) > 1:
            files["/".join(parts[1:])] = info
        elif not info.is_dir():
            raise ArchiveError(f"archive member {info.filename!r} lies outside the run folder")
    if len(tops) != 1:
        raise ArchiveError(
            f"the archive should hold one folder run-<id>/, not {sorted(tops) or 'nothing'}"
        )
    return tops.pop(), files


def _read_document(zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    if "run.json" not in files:
        raise ArchiveError("the archive has no run.json; it is not a PTune Studio run export")
    try:
        document = json.loads(zf.read(files["run.json"]))
    except (ValueError, UnicodeDecodeError) as error:
        raise ArchiveError(f"run.json is not valid JSON ({error})") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveError(f"run.json is not a {FORMAT} document")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ArchiveError(
            f"run.json has format version {version!r}; this PTune Studio reads up to "
            f"{FORMAT_VERSION} - upgrade PTune Studio to import it"
        )
    _check_run(document.get("run"))
    return document


def _check_run(run: Any) -> None:
    if not isinstance(run, dict):
        raise ArchiveError("run.json has no run record")
    for key in ("name", "method", "base_model", "dataset", "status"):
        if not isinstance(run.get(key), str):
            raise ArchiveError(f"run.json: the run lacks a text {key!r}")
    if run["status"] not in STATUSES:
        raise ArchiveError(f"run.json: unknown run status {run['status']!r}")
    for key, kind in (("config", dict), ("label_names", list), ("metrics", dict)):
        if run.get(key) is not None and not isinstance(run[key], kind):
            raise ArchiveError(f"run.json: {key!r} should be a {kind.__name__}")


def _read_adapter(
    zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], document: dict[str, Any]
) -> dict[str, bytes]:
    manifest = document.get("manifest") or {}
    if not isinstance(manifest, dict):
        raise ArchiveError("run.json: 'manifest' should map adapter file paths to sha256")
    present = {p.removeprefix("adapter/") for p in files if p.startswith("adapter/")}
    missing, extra = sorted(set(manifest) - present), sorted(present - set(manifest))
    extra += sorted(p for p in files if not p.startswith("adapter/") and p not in TOP_FILES)
    if missing:
        raise ArchiveError(f"adapter file(s) listed in run.json are missing: {', '.join(missing)}")
    if extra:
        raise ArchiveError(f"file(s) not listed in run.json's manifest: {', '.join(extra)}")
    adapter = document.get("adapter")
    if manifest and not (isinstance(adapter, dict) and isinstance(adapter.get("kind"), str)):
        raise ArchiveError("run.json lists adapter files but no adapter kind")
    contents = {}
    for path, expected in manifest.items():
        data = zf.read(files[f"adapter/{path}"])
        if sha256_bytes(data) != expected:
            raise ArchiveError(f"adapter file {path} does not match its sha256 in run.json")
        contents[path] = data
    if adapter and adapter.get("sha256") not in (None, manifest_sha256(manifest)):
        raise ArchiveError("the adapter sha256 in run.json does not match its manifest")
    return contents


def _read_metrics(zf: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]) -> list[tuple]:
    if "metrics.csv" not in files:
        return []
    try:
        reader = csv.reader(io.StringIO(zf.read(files["metrics.csv"]).decode("utf-8")))
        header = next(reader, None)
        if header is None or tuple(header) != CSV_COLUMNS:
            raise ArchiveError(f"metrics.csv should start with {','.join(CSV_COLUMNS)}")
        return [_metric_row(row) for row in reader if row]
    except (ValueError, UnicodeDecodeError) as error:
        raise ArchiveError(f"metrics.csv is malformed ({error})") from error


def _number(text: str) -> float | str | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _metric_row(row: list[str]) -> tuple:
    step, epoch, time, split, name, value = row
    epoch_value = None if epoch == "" else float(epoch)
    return int(step), epoch_value, _number(time), split, name, _number(value)


def read_archive(zip_path: Path) -> Archive:
    """Check everything in the archive; ArchiveError naming the first problem."""
    if not zip_path.is_file():
        raise ArchiveError(f"{zip_path} does not exist or is not a file")
    try:
        with zipfile.ZipFile(zip_path) as zf:
            _top, files = _sort_members(zf)
            document = _read_document(zf, files)
            contents = _read_adapter(zf, files, document)
            metrics = _read_metrics(zf, files)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise ArchiveError(f"{zip_path} is not a readable zip file ({error})") from error
    return Archive(document["run"], document.get("adapter"), contents, metrics)


def import_run(conn: Connections, zip_path: Path) -> int:
    """Insert a validated archive as a new run in one transaction; the new id."""
    archive = read_archive(zip_path)
    run = {k: v for k, v in archive.run.items() if k in RUN_COLUMNS and k not in DROPPED_ON_IMPORT}
    run["config"] = run.get("config") or {}
    run.setdefault("created_at", now_iso())
    if run["status"] in ("waiting", "queued", "running"):
        run["status"] = "interrupted"
        run["error"] = run.get("error") or "it was exported before it finished"
    with conn.write():
        run_id = runs.insert_run(conn, encode_run_fields(run))
        run_metrics.insert_metric_rows(conn, run_id, archive.metrics)
        if archive.files and archive.adapter:
            adapters.write_adapter_rows(
                conn,
                run_id,
                archive.files,
                kind=archive.adapter["kind"],
                checkpoint_path=None,
                created_at=archive.adapter.get("created_at"),
            )
    return run_id
