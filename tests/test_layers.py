"""The layers stay apart: the engine and the store never load the interface, the store no torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

IMPORT_ALL = """
import importlib, json, pkgutil, sys

names = []
for package_name in sys.argv[1:]:
    package = importlib.import_module(package_name)
    names.append(package_name)
    for module in pkgutil.walk_packages(package.__path__, package_name + "."):
        if module.name.rsplit(".", 1)[-1] == "__main__":
            continue  # runs its command line when imported
        importlib.import_module(module.name)
        names.append(module.name)
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"imported": names, "loaded": loaded}))
"""


def import_everything(*packages: str) -> dict:
    """Import every module of ``packages`` in a fresh interpreter; what it imported and loaded."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def engine_and_store() -> dict:
    return import_everything("core", "storage")


def test_the_engine_and_the_store_never_import_gradio(engine_and_store):
    assert {"core.training.trainer", "core.sweep.run", "storage.store"} <= set(
        engine_and_store["imported"]
    )
    assert "torch" in engine_and_store["loaded"]  # the check does see third-party imports
    assert "gradio" not in engine_and_store["loaded"]
    assert "app" not in engine_and_store["loaded"]


def test_the_store_never_imports_torch_or_gradio():
    store = import_everything("storage")
    assert {"storage.store", "storage.archive"} <= set(store["imported"])
    assert "torch" not in store["loaded"]
    assert "gradio" not in store["loaded"]
