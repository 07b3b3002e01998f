"""Run export and import: round trip, and every unsafe or broken archive refused untouched."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import pytest
from conftest import make_adapter, new_run, table_counts

from storage import ArchiveError, Store


def finished_run(store: Store, tmp_path: Path) -> int:
    run_id = new_run(store, name="sentiment", label_names=["neg", "pos"])
    store.start_run(run_id)
    rows = [{"step": s, "epoch": s / 4, "split": "eval", "name": "accuracy", "value": 0.5 + s / 10}
            for s in range(4)]  # fmt: skip
    store.append_metrics(run_id, rows)
    store.save_adapter(run_id, make_adapter(tmp_path / "adapter"), kind="lora")
    store.finish_run(run_id, "succeeded", metrics={"eval_accuracy": 0.8})
    return run_id


def rewrite(src: Path, dst: Path, *, drop=(), add=None, replace=None) -> Path:
    """Copy a zip, leaving out ``drop``, adding ``add`` and replacing ``replace`` members."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            if name not in drop:
                zout.writestr(name, (replace or {}).get(name, zin.read(name)))
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def test_export_import_round_trip(store, tmp_path):
    run_id = finished_run(store, tmp_path)
    zip_path = store.export_run(run_id, tmp_path / "out" / "run.zip")
    with zipfile.ZipFile(zip_path) as zf:
        names = set(zf.namelist())
        readme = zf.read(f"run-{run_id}/README.md").decode()
        document = json.loads(zf.read(f"run-{run_id}/run.json"))
        csv_head = zf.read(f"run-{run_id}/metrics.csv").decode().splitlines()[0]
    assert {f"run-{run_id}/{n}" for n in ("run.json", "metrics.csv", "README.md")} <= names
    assert f"run-{run_id}/adapter/nested/deeper/head.bin" in names
    assert csv_head == "step,epoch,time,split,name,value"
    assert document["format_version"] == 1 and len(document["manifest"]) == 3
    assert "from core.analysis.predict import predict" in readme
    assert "PeftModel.from_pretrained" in readme

    with Store(tmp_path / "elsewhere" / "studio.db") as other:
        new_id = other.import_run(zip_path)
        run = other.get_run(new_id)
        assert (run["name"], run["status"]) == ("sentiment", "succeeded")
        assert run["metrics"] == {"eval_accuracy": 0.8} and run["label_names"] == ["neg", "pos"]
        assert other.read_metrics(new_id) == [
            {**row, "run_id": new_id} for row in store.read_metrics(run_id)
        ]
        dest = other.load_adapter(new_id, tmp_path / "loaded")
    for path in (tmp_path / "adapter").rglob("*"):
        if path.is_file():
            assert (dest / path.relative_to(tmp_path / "adapter")).read_bytes() == path.read_bytes()


def test_run_without_adapter_exports_and_imports(store, tmp_path):
    run_id = new_run(store)
    store.finish_run(run_id, "failed", error="out of memory")
    new_id = store.import_run(store.export_run(run_id, tmp_path / "failed.zip"))
    assert store.get_run(new_id)["error"] == "out of memory"


def _broken(kind: str, good: Path, tmp_path: Path, run_id: int) -> Path:
    top = f"run-{run_id}"
    bad = tmp_path / f"{kind}.zip"
    if kind == "not-a-zip":
        bad.write_bytes(b"PK\x03\x04 but not really a zip file")
        return bad
    link = zipfile.ZipInfo(f"{top}/adapter/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    changes = {
        "missing-run-json": {"drop": [f"{top}/run.json"]},
        "missing-adapter-file": {"drop": [f"{top}/adapter/adapter_config.json"]},
        "extra-file": {"add": {f"{top}/adapter/extra.bin": b"surprise"}},
        "sha-mismatch": {"replace": {f"{top}/adapter/adapter_config.json": b'{"r": 99}'}},
        "dot-dot": {"add": {f"{top}/../escaped.txt": b"x"}},
        "absolute": {"add": {"/etc/evil.txt": b"x"}},
        "two-tops": {"add": {"other/file.txt": b"x"}},
        "bad-json": {"replace": {f"{top}/run.json": b"{not json"}},
    }
    if kind == "symlink":
        rewrite(good, bad)
        with zipfile.ZipFile(bad, "a") as zf:
            zf.writestr(link, "/etc/passwd")
        return bad
    return rewrite(good, bad, **changes[kind])


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("not-a-zip", "not a readable zip"),
        ("missing-run-json", "no run.json"),
        ("missing-adapter-file", "missing: adapter_config.json"),
        ("extra-file", "not listed .* extra.bin"),
        ("sha-mismatch", "adapter_config.json does not match its sha256"),
        ("dot-dot", r"escapes its folder"),
        ("absolute", "absolute path"),
        ("symlink", "symbolic link"),
        ("two-tops", "one folder"),
        ("bad-json", "not valid JSON"),
    ],
)
def test_import_refuses_bad_archives_and_writes_nothing(store, tmp_path, kind, message):
    run_id = finished_run(store, tmp_path)
    good = store.export_run(run_id, tmp_path / "good.zip")
    bad = _broken(kind, good, tmp_path, run_id)
    before = table_counts(store.path)
    with pytest.raises(ArchiveError, match=message):
        store.import_run(bad)
    assert table_counts(store.path) == before


def test_import_refuses_a_newer_format(store, tmp_path):
    run_id = finished_run(store, tmp_path)
    good = store.export_run(run_id, tmp_path / "good.zip")
    with zipfile.ZipFile(good) as zf:
        document = json.loads(zf.read(f"run-{run_id}/run.json"))
    document["format_version"] = 99
    bad = rewrite(good, tmp_path / "new.zip",
                  replace={f"run-{run_id}/run.json": json.dumps(document).encode()})  # fmt: skip
    with pytest.raises(ArchiveError, match="upgrade PTune Studio"):
        store.import_run(bad)
