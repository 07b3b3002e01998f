"""The layers stay apart: the engine and the store never load the interface, the store no torch."""

from __future__ import annotations

import ast
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


@pytest.mark.train
def test_the_engine_and_the_store_never_import_gradio(engine_and_store):
    assert {"core.training.trainer", "core.sweep.run", "storage.store"} <= set(
        engine_and_store["imported"]
    )
    assert "torch" in engine_and_store["loaded"]  # the check does see third-party imports
    assert "gradio" not in engine_and_store["loaded"]
    assert "app" not in engine_and_store["loaded"]


@pytest.mark.train
def test_the_store_never_imports_torch_or_gradio():
    store = import_everything("storage")
    assert {"storage.store", "storage.archive"} <= set(store["imported"])
    assert "torch" not in store["loaded"]
    assert "gradio" not in store["loaded"]


# ------------------------------------------------------------------------------ import cycles
def _modules(*packages: str) -> dict[str, Path]:
    """Every module of ``packages`` by dotted name (a package by its own name)."""
    found = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that ``name`` imports anywhere in its file: at the top, inside
    functions and under ``TYPE_CHECKING`` alike."""

    def owner(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets |= {owner(alias.name) for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else owner(base))
    return {t for t in targets if t and t != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_engine_and_the_store_have_no_import_cycles():
    known = _modules("core", "storage")
    graph = {name: _imports(name, path, known) for name, path in known.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_behind_type_checking(tmp_path):
    for name, text in {
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
        "b.py": "def f():\n    from pkg import a\n",
        "__init__.py": "",
    }.items():
        (tmp_path / "pkg").mkdir(exist_ok=True)
        (tmp_path / "pkg" / name).write_text(text, encoding="utf-8")
    known = {"pkg": tmp_path / "pkg/__init__.py", "pkg.a": tmp_path / "pkg/a.py",
             "pkg.b": tmp_path / "pkg/b.py"}  # fmt: skip
    graph = {name: _imports(name, path, known) for name, path in known.items()}
    assert _cycles(graph) == [["pkg.a", "pkg.b"]]


# ------------------------------------------------------------------------------ sizes
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def test_files_and_functions_stay_small():
    """Files under 500 lines and functions under 60 in the app, the engine and the store."""
    too_big = []
    for path in sorted(p for package in ("app", "core", "storage")
                       for p in (ROOT / package).rglob("*.py")):  # fmt: skip
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(ROOT)
        if text.count("\n") > MAX_FILE_LINES:
            too_big.append(f"{where}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    assert not too_big, "\n".join(too_big)
