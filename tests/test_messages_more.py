"""The engine's and the app's sentences in the Chinese interface: methods, analysis, sweeps,
export, base models, and the sentences the app builds itself (refused paths, uploads).

Every ``say(...)`` template in these modules has its Chinese in the catalogue with the same
placeholders; no person-facing error is raised with a bare English string; and real refusals
read as Chinese sentences once translated."""

from __future__ import annotations

import ast
import json
import re
import string
from pathlib import Path
from typing import Any

import pytest

import core.errors
import storage.errors
from app.i18n.catalog import ZH_MESSAGES
from core.messages import Message

ROOT = Path(__file__).resolve().parent.parent

MODULES = [
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "core" / "methods").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "core" / "analysis").glob("*.py")),
    "core/sweep/grid.py",
    "core/sweep/run.py",
    "core/export.py",
    "core/modeling.py",
    "core/pooling.py",
    "core/hardware.py",
    "app/shared/confine.py",
    "app/shared/preflight.py",
    "app/shared/datasets.py",
    "app/shared/state.py",
    "app/tabs/tryit/predict.py",
    "app/tabs/tryit/export.py",
    "app/tabs/tryit/prompt_words.py",
    "app/tabs/sweep/logic.py",
]
"""Modules whose person-facing sentences are translatable. ``core/serve/`` and
``core/train.py`` are left out on purpose: their messages go to HTTP clients and the command
line, never to the app's interface."""

NOT_LITERAL = {("core/methods/base.py", "self.title"), ("core/analysis/compare.py", "status")}
"""``say`` calls whose template is a value: a method's title and a run's status, each checked
against the registry and the store's statuses below."""

PERSON_FACING = {
    name
    for module in (core.errors, storage.errors)
    for name, cls in vars(module).items()
    if isinstance(cls, type)
    and issubclass(cls, (core.errors.PTuneError, storage.errors.StorageError))
} | {"ValueError", "BadRequest"}


def _tree(module: str) -> ast.Module:
    return ast.parse((ROOT / module).read_text(encoding="utf-8"))


def _strings(node: ast.AST | None) -> list[str]:
    """The text of a string constant, or of each value of a dict of string constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Dict):
        return [text for value in node.values for text in _strings(value)]
    return []


def _assigned(tree: ast.Module) -> dict[str, list[str]]:
    """Every string (or dict of strings) assigned to each name anywhere in the module."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).extend(_strings(node.value))
    return found


def _templates(module: str) -> list[str]:
    """The templates of the module's ``say(...)`` calls: literals, and names (or entries of
    dicts) assigned literals; a template that is none of these fails unless allowed."""
    tree = _tree(module)
    assigned = _assigned(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say"):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Subscript):
            arg = arg.value
        texts = _strings(arg) or (assigned.get(arg.id, []) if isinstance(arg, ast.Name) else [])
        if not texts:
            assert (module, ast.unparse(arg)) in NOT_LITERAL, f"{module}: say({ast.unparse(arg)})"
        found += texts
    return found


def _fields(template: str) -> list[tuple[str, str | None, str | None]]:
    parsed = string.Formatter().parse(template)
    return sorted((name, conv, spec) for _, name, spec, conv in parsed if name is not None)


@pytest.mark.parametrize("module", MODULES)
def test_every_template_has_its_chinese(module: str) -> None:
    for template in _templates(module):
        assert template in ZH_MESSAGES, f"{module}: no Chinese for {template!r}"
        assert _fields(ZH_MESSAGES[template]) == _fields(template), template


def _is_text(node: ast.AST) -> bool:
    """An English sentence written in place: a literal, an f-string with words of its own (not
    one that only joins translated parts), or one built from them."""
    if isinstance(node, ast.JoinedStr):
        return any(_is_text(part) for part in node.values)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search("[A-Za-z]", node.value))
    if isinstance(node, ast.BinOp):
        return _is_text(node.left) or _is_text(node.right)
    return isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("format", "join")


@pytest.mark.parametrize("module", MODULES)
def test_no_error_or_problem_is_bare_english(module: str) -> None:
    bare = []
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            name = getattr(node.exc.func, "id", getattr(node.exc.func, "attr", ""))
            if name in PERSON_FACING and _is_text(node.exc.args[0]):
                bare.append(f"line {node.lineno}: {ast.unparse(node.exc)[:80]}")
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("Problem", "problem") and any(_is_text(a) for a in node.args[:2]):
                message = node.args[0] if name == "Problem" else node.args[-1]
                if _is_text(message):
                    bare.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    assert not bare, f"{module} raises English the app cannot translate: {bare}"


def test_method_titles_refusals_and_statuses_are_in_the_catalogue() -> None:
    from core.methods import METHODS
    from storage.store import STATUSES

    for method in METHODS.values():
        assert ZH_MESSAGES[method.title] == method.title_in("zh")
        for refusal in (method.merge_refusal, method.init_from_refusal):
            if refusal is not None:
                assert isinstance(refusal, Message) and refusal.template in ZH_MESSAGES
    assert set(STATUSES) <= set(ZH_MESSAGES)


# ----------------------------------------------------------------------------- behaviour
def chinese(message: Any) -> str:
    """``message`` as the Chinese interface shows it (values that are messages translated)."""
    if not isinstance(message, Message):
        return str(message)
    values = {name: chinese(value) if isinstance(value, Message) else value
              for name, value in message.values.items()}  # fmt: skip
    return ZH_MESSAGES[message.template].format(**values)


ENGLISH = re.compile(r"\b[a-z]+(?: [a-z]+){3,}\b", re.IGNORECASE)
"""Four English words in a row: a sentence left untranslated (paths and ids have none)."""


def assert_chinese(message: Any, *kept: str) -> str:
    assert isinstance(message, Message), f"not translatable: {message!r}"
    text = chinese(message)
    assert not ENGLISH.search(text), text
    assert re.search(r"[\u4e00-\u9fff]", text), text
    for value in kept:
        assert value in text
    return text


def _adapter_meta(folder: Path, method: str, pooling: str = "cls") -> Path:
    from core.training.artifacts import FORMAT, META_FILE

    folder.mkdir(parents=True)
    meta = {"format": FORMAT, "version": 1, "method": method, "pooling": pooling}
    (folder / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return folder


@pytest.mark.parametrize("method", ["ptuning_v2", "adapter"])
def test_export_refusal_of_a_prompt_or_adapter_run_reads_in_chinese(
    tmp_path: Path, method: str
) -> None:
    from core.errors import ExportError
    from core.export import check_mergeable
    from core.methods import METHODS

    folder = _adapter_meta(tmp_path / "adapter", method)
    with pytest.raises(ExportError, match="cannot be merged into a plain model") as caught:
        check_mergeable(folder)
    text = assert_chinese(caught.value.args[0], str(folder))
    assert METHODS[method].title_in("zh") in text
    assert "python -m core.serve" in text


def test_export_refusal_of_mean_pooling_reads_in_chinese(tmp_path: Path) -> None:
    from core.errors import ExportError
    from core.export import check_mergeable

    folder = _adapter_meta(tmp_path / "adapter", "lora", pooling="mean")
    with pytest.raises(ExportError, match="mean pooling") as caught:
        check_mergeable(folder)
    assert "均值池化" in assert_chinese(caught.value.args[0])


def test_method_settings_problem_reads_in_chinese() -> None:
    from core.checks import draft
    from core.methods.ptuning_v2 import PTuningV2Settings

    settings = draft(PTuningV2Settings, {"share_encoder": True, "prefix_projection": True})
    found = [p for p in settings.problems() if p.setting == "share_encoder"]
    assert len(found) == 1 and "turn one of them off" in found[0].message
    assert "share_encoder" in assert_chinese(found[0].message)


def test_unsupported_family_and_unknown_method_read_in_chinese() -> None:
    from types import SimpleNamespace

    from core.errors import ConfigError
    from core.methods import METHODS, get_method

    (problem,) = METHODS["adapter"].model_problems(SimpleNamespace(model_type="t5"))
    assert "does not support 't5' models" in problem
    assert "瓶颈适配器" in assert_chinese(problem, "t5")
    with pytest.raises(ConfigError, match="unknown method 'nope'") as caught:
        get_method("nope")
    assert_chinese(caught.value.args[0], "nope")


def test_sweep_grid_problems_read_in_chinese() -> None:
    from core.errors import ConfigProblems
    from core.sweep import parse_lengths, sweep_problems

    with pytest.raises(ConfigProblems, match="'ten' is not a whole number") as caught:
        parse_lengths("10, ten")
    (problem,) = caught.value.problems
    assert "提示长度" in assert_chinese(problem, "'ten'")
    found = sweep_problems({"data": "x.csv"}, "ptuning_v2", [10, 100000], [5.0])
    messages = [p.message for p in found if p.setting in ("lengths", "lrs")]
    assert len(messages) == 2, found
    assert "P-Tuning v2" in assert_chinese(messages[0], "100000")
    assert "学习率" in assert_chinese(messages[1])


def test_refused_paths_read_in_chinese(state: Any, tmp_path: Path) -> None:
    from app.shared import confine

    outside = tmp_path.parent.parent / "elsewhere.csv"
    refusal = confine.data_refusal(state, str(outside))
    assert refusal is not None and "is outside the folders" in refusal
    assert_chinese(refusal, str(outside), str(state.data_dir))
    out = confine.out_refusal(state, "/tmp/out")
    assert "out（输出文件夹）" in assert_chinese(out)


def test_upload_refusal_reads_in_chinese(state: Any, tmp_path: Path) -> None:
    from app.shared.state import save_upload

    upload = tmp_path / "notes.docx"
    upload.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="not a supported dataset file") as caught:
        save_upload(state, upload)
    assert_chinese(caught.value.args[0], "notes.docx")


def test_mistakes_label_refusal_reads_in_chinese() -> None:
    from core.analysis.mistakes import RunPredictions, mistakes

    preds = RunPredictions(3, "demo", ["neg", "pos"], ["a film"], [0], [1], [0.9], "d.csv", "x", 1)
    with pytest.raises(ValueError, match="true label 'meh' is not one of") as caught:
        mistakes(preds, true_label="meh")
    assert "真实标签" in assert_chinese(caught.value.args[0], "'meh'", "neg, pos")
