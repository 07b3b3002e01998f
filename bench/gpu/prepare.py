"""What the GPU machine needs, written into one folder on a machine that has it: the model, the
data and the few pure-Python packages the engine imports that the GPU machine lacks.

The folder (``.gpu/`` by convention, ignored by git) travels with the working tree, whose
whole is limited to 64 MiB: MiniLM goes as fp16 safetensors (45 MB instead of 90).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SST2 = ROOT.parent / "shared" / "data" / "sst2"
VENDORED = ("sqlite_utils", "sqlite_fts4", "click", "click_default_group", "pluggy", "tabulate")
"""sqlite-utils and its own dependencies (python-dateutil comes with pandas): the engine imports
it through ``storage`` (the output-folder markers, the run records), and the GPU machine does not
have it (nor sqlite-fts4 or click-default-group; it has click, pluggy and tabulate, whose copies
travel all the same, for a machine without them). All pure Python; a machine's own copies come
first on the path where it has any."""
TRAVEL_LIMIT = 64 * 2**20
"""Bytes that may travel to the GPU machine with one command: the working tree and this folder."""


def prepare(folder: Path, data: Path = SST2) -> dict[str, int]:
    """Write ``minilm/`` (MiniLM as fp16 safetensors, with its tokenizer and pooling files),
    ``sst2/`` (its train and dev files) and ``site/`` (:data:`VENDORED`) into ``folder``; the
    bytes of each."""
    from safetensors.torch import load_file, save_file

    from core.modeling import embedded_model_path

    source = embedded_model_path()
    model = folder / "minilm"
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(source, model, ignore=shutil.ignore_patterns("model.safetensors", ".*"))
    weights = load_file(str(source / "model.safetensors"))
    half = {name: tensor.half().contiguous() for name, tensor in weights.items()}
    save_file(half, str(model / "model.safetensors"), metadata={"format": "pt"})
    (folder / "sst2").mkdir(parents=True, exist_ok=True)
    for name in ("train.tsv", "dev.tsv"):
        shutil.copyfile(data / name, folder / "sst2" / name)
    vendor(folder / "site")
    return {name: size_of(folder / name) for name in ("minilm", "sst2", "site")}


def vendor(site: Path) -> list[str]:
    """Copy the :data:`VENDORED` packages as installed here into ``site``; their names."""
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    for name in VENDORED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            raise RuntimeError(f"{name} is not installed here; it must travel to the GPU machine")
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(origin.parent, site / name,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        else:
            shutil.copy2(origin, site / origin.name)
    compiled = [p for p in site.rglob("*") if p.suffix in (".so", ".pyd")]
    if compiled:
        raise RuntimeError(f"compiled files would not run on another machine: {compiled[:3]}")
    return list(VENDORED)


def use_site(site: Path | None) -> None:
    """Put prepared packages on the import path, after this machine's own."""
    if site is not None and site.is_dir() and str(site) not in sys.path:
        sys.path.append(str(site))


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def tree_size() -> int:
    """Bytes of the files git tracks here (what travels besides the prepared folder)."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    names = [n for n in listed.stdout.decode().split("\0") if n]
    return sum((ROOT / n).stat().st_size for n in names if (ROOT / n).is_file())
