"""Engine messages in the person's language: every sentence has a Chinese version, the engine
raises its errors with translatable sentences, and the app shows them in its language."""

from __future__ import annotations

import ast
import inspect
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

import core.errors
import storage.errors
from app.i18n.catalog import ZH_MESSAGES
from app.i18n.engine import translate

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path
    for folder in ("core", "storage", "app")
    for path in (ROOT / folder).rglob("*.py")
    if "i18n" not in path.relative_to(ROOT).parts
)
ENGINE = [path for path in SOURCES if path.relative_to(ROOT).parts[0] == "core"]
"""Modules whose errors must be ``say(...)`` sentences. The storage layer imports nothing of the
engine, so its plain English sentences are translated by matching the catalogue instead
(:func:`test_storage_errors_read_in_chinese`)."""


def _ids(paths: list[Path]) -> list[str]:
    return [str(path.relative_to(ROOT)) for path in paths]


def _fields(template: str) -> list[tuple[str, str, str | None]]:
    """(name, format spec, conversion) of each placeholder, in order."""
    return sorted(
        (name, spec or "", conversion)
        for _text, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    )


def _is_say(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say"


# ---------------------------------------------------------------------------- the catalogue
@pytest.mark.parametrize("english", sorted(ZH_MESSAGES))
def test_each_chinese_template_has_the_english_placeholders(english: str) -> None:
    chinese = ZH_MESSAGES[english]
    assert _fields(chinese) == _fields(english)
    words = re.sub(r"\{[^}]*\}", "", english)
    # a name such as "LoRA" or "P-Tuning v2" is the same in both; "{reason} {hint}" has no words
    if chinese != english and re.search("[A-Za-z]{2}", words):
        assert any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in chinese), chinese
    assert "\n" not in english  # text is translated line by line


@pytest.mark.parametrize("path", SOURCES, ids=_ids(SOURCES))
def test_every_say_has_a_literal_template_in_the_catalogue(path: Path) -> None:
    missing = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not _is_say(node):
            continue
        first = node.args[0] if node.args else None
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue  # a name or a table entry: tests/test_messages_more.py resolves those
        if first.value not in ZH_MESSAGES:
            missing.append(f"line {node.lineno}: no Chinese for {first.value!r}")
        else:
            given = {k.arg for k in node.keywords if k.arg is not None}
            names = {name for name, _spec, _conv in _fields(first.value)}
            unpacked = any(k.arg is None for k in node.keywords)
            if not unpacked and given != names:
                missing.append(f"line {node.lineno}: values {sorted(given)} for {sorted(names)}")
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------------- what the engine raises
def _person_errors() -> set[str]:
    """Names of the exceptions whose messages a person reads."""
    names = set()
    for module, base in (
        (core.errors, core.errors.PTuneError),
        (storage.errors, storage.errors.StorageError),
    ):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, base):
                names.add(name)
    return names


PERSON_ERRORS = _person_errors()


def _plain_text(node: ast.AST | None) -> bool:
    """An f-string, a string constant, or text put together from them (never translatable)."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.BinOp):
        return _plain_text(node.left) or _plain_text(node.right)
    return isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "format"


def _untranslatable(tree: ast.AST, in_data: bool) -> list[str]:
    found = []
    for node in ast.walk(tree):
        message = None
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            name = getattr(node.exc.func, "id", None) or getattr(node.exc.func, "attr", None)
            if name in PERSON_ERRORS and node.exc.args:
                message = node.exc.args[0]
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", None)
            if name == "Problem" and node.args:
                message = node.args[0]
            elif name == "problem" and len(node.args) > 1:
                message = node.args[1]
            elif (
                in_data
                and name == "append"
                and getattr(func.value, "id", None) in ("notes", "warnings")
                and node.args
            ):
                message = node.args[0]
        if message is not None and _plain_text(message):
            found.append(f"line {node.lineno}: {ast.unparse(message)[:80]}")
    return found


ENGLISH_ONLY = {
    "core/train.py": "command-line flags, read in a terminal",
    "core/cli.py": "command-line flags, read in a terminal",
    "core/sweep/cli.py": "command-line flags, read in a terminal",
    "core/fewshot/cli.py": "command-line flags, read in a terminal",
    "core/serve/checks.py": "answers to HTTP clients of a served model",
    "core/serve/app.py": "answers to HTTP clients of a served model",
    "core/serve/server.py": "command-line flags of a served model, read in a terminal",
    "core/serve/cli.py": "command-line flags, read in a terminal",
}
"""Modules whose messages only a terminal or an HTTP client reads: they stay English."""


TRANSLATED = [path for path in ENGINE if str(path.relative_to(ROOT)) not in ENGLISH_ONLY]


@pytest.mark.parametrize("path", TRANSLATED, ids=_ids(TRANSLATED))
def test_engine_errors_are_said_not_formatted(path: Path) -> None:
    """Errors, problems and data notes are ``say(...)`` sentences (or one passed on), never an
    f-string or a string constant the app could not translate."""
    in_data = path.relative_to(ROOT).parts[:2] == ("core", "data")
    found = _untranslatable(ast.parse(path.read_text(encoding="utf-8")), in_data)
    assert not found, "\n".join(found)


# ------------------------------------------------------------------------------- behaviour
def _too_small(tmp_path: Path) -> Exception:
    from core.data.loading import load_data
    from core.errors import DataError

    path = tmp_path / "tiny.csv"
    path.write_text("text,label\ngood,1\nbad,0\nfine,1\nawful,0\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_data(path)
    return caught.value


def test_a_data_error_reads_in_chinese_and_english(tmp_path: Path) -> None:
    from app.shared.errors import plain

    exc = _too_small(tmp_path)
    assert plain(exc, "zh") == "训练数据太少：4 行。至少需要 8 行，且每个类别至少 2 个样本"
    assert plain(exc, "en") == (
        "The training data is too small: 4 rows. At least 8 rows and 2 examples per class are "
        "needed"
    )
    # The same sentence read back as plain text (from the database) is translated too.
    assert translate(str(exc), "zh") == translate(exc.args[0], "zh")


def test_config_problems_are_listed_in_chinese_with_chinese_labels() -> None:
    from app.shared.errors import to_gradio
    from core.checks import checked
    from core.errors import ConfigProblems

    with pytest.raises(ConfigProblems) as caught:
        checked({"data": "", "lr": 5, "batch_size": "x", "method": "lora"})
    chinese = to_gradio(caught.value, markup=False, lang="zh").message.splitlines()
    assert "批大小：batch_size='x' 必须是数字" in chinese
    assert "学习率：lr=5 超出范围；请使用 1e-07 到 1.0 之间的值" in chinese
    assert "数据集：未指定数据集；请填写文件、文件夹或 Hugging Face 数据集 ID" in chinese
    english = to_gradio(caught.value, markup=False, lang="en").message.splitlines()
    assert "Learning rate: lr=5 is out of range; use a value from 1e-07 to 1.0" in english
    # Problems joined with "; " (the exception's own text) are split and translated each.
    joined = translate(str(caught.value), "zh")
    assert "批大小：batch_size='x' 必须是数字; 学习率：lr=5 超出范围" in joined


def test_a_failed_runs_stored_error_shows_in_chinese_in_the_monitor(state) -> None:
    from conftest import new_run

    from app.tabs.monitor.runs import runs_table, status_text
    from core.messages import say

    reason = say(
        "it could not start when its turn in the queue came: {reason}",
        reason=say("file or folder not found: {path}", path="/data/gone.csv"),
    )
    run_id = new_run(state.store)
    state.store.finish_run(run_id, "failed", error=str(reason))  # stored as plain English
    run = state.store.get_run(run_id)
    state.lang = "zh"
    assert status_text(state, run) == (
        f"运行 #{run_id} 失败：轮到它时未能开始：找不到文件或文件夹：/data/gone.csv"
    )
    assert (
        runs_table(state, [run]).iloc[0, -1]
        == "轮到它时未能开始：找不到文件或文件夹：/data/gone.csv"
    )
    state.lang = "en"
    assert status_text(state, run) == f"Run #{run_id} failed: {reason}"


def test_storage_errors_read_in_chinese(store) -> None:
    from app.shared.errors import plain
    from storage.errors import RunNotFoundError

    with pytest.raises(RunNotFoundError) as caught:
        store.get_run(999)
    assert plain(caught.value, "zh") == (
        f"{store.path} 中没有编号为 999 的运行；可用 `python -m storage list` 列出所有运行"
    )


def test_unknown_text_stays_english_and_english_is_unchanged() -> None:
    from core.messages import say

    assert translate("CUDA error: device-side assert triggered", "zh") == (
        "CUDA error: device-side assert triggered"
    )
    assert translate("", "zh") == ""
    message = say("{path} is empty", path="/x/a.csv")
    assert translate(message, "en") == "/x/a.csv is empty"
    assert translate(message, "zh") == "/x/a.csv 是空文件"
    assert translate(say("not in the catalogue {x}", x=1), "zh") == "not in the catalogue 1"


@pytest.mark.train
def test_the_command_line_speaks_english(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    done = subprocess.run(
        [sys.executable, "-m", "core.train", "--data", str(missing), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"file or folder not found: {missing}" in done.stdout + done.stderr


@pytest.mark.train
def test_a_chinese_app_answers_the_api_in_chinese(tmp_path_factory) -> None:
    from conftest import serving
    from gradio_client import Client

    from app import create_app

    demo = create_app(
        db=tmp_path_factory.mktemp("zh-api") / "studio.db",
        data_dir=tmp_path_factory.getbasetemp(),
        lang="zh",
    )
    missing = tmp_path_factory.getbasetemp() / "gone.csv"
    with serving(demo) as url:
        client = Client(url, verbose=False)
        with pytest.raises(Exception, match=f"数据集：找不到文件或文件夹：{missing}"):
            client.predict({"data": str(missing), "max_steps": 2}, api_name="/train")
