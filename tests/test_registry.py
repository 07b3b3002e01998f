"""Methods own their facts: one registry, found from the modules, read by every other layer."""

from __future__ import annotations

import ast
import dataclasses
import textwrap
from pathlib import Path

import pytest

import core.methods
from core import checks
from core.checks import check_run, checked
from core.cli import build_parser, config_from_args
from core.config import TrainConfig
from core.errors import ConfigProblems
from core.methods import METHODS, discover, prompt_methods
from core.runs import train_unrecorded
from core.training.artifacts import load_adapter, read_meta

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHOICES = {
    ("core/config/train.py", "ptuning_v2"),  # DEFAULT_METHOD, TrainConfig.method's default
    ("core/sweep/grid.py", "ptuning_v2"),  # SweepConfig.method's default
    ("bench/techniques.py", "ptuning_v2"),  # the method whose techniques it measures
    ("bench/load.py", "lora"),  # the method it trains while clients predict (--method)
    # the methods a few-shot experiment compares by default: P-Tuning v2, LoRA, the baseline
    ("core/fewshot/plan.py", "ptuning_v2"),
    ("core/fewshot/plan.py", "lora"),
    ("core/fewshot/plan.py", "head_only"),
}
"""The only places outside core/methods/ that may name a method: a default choice each."""
ORDINARY_WORDS = {"adapter"}
"""Method names that are also the product's word for a trained weights folder ("adapter/")."""

BIAS_ONLY = '''
"""BitFit (Ben Zaken et al. 2022): only the bias terms and the classifier train."""

from dataclasses import dataclass

from torch import nn

from core.config import ConfigBase, param
from core.methods.base import Method, classifier_head, freeze


@dataclass
class BiasOnlySettings(ConfigBase):
    include_layernorm: bool = param(
        False, "Also train the LayerNorm biases.", label="LayerNorm biases"
    )


class BiasOnly(Method):
    name = "bias_only"
    title = "Bias terms only"
    summary = "Trains every bias term and the classifier."
    config_cls = BiasOnlySettings
    default_lr = 1e-3
    default_epochs = 10
    position = 65

    def wrap(self, model: nn.Module, cfg: BiasOnlySettings) -> nn.Module:
        freeze(model)
        for name, parameter in model.named_parameters():
            if name.endswith(".bias") and (cfg.include_layernorm or "LayerNorm" not in name):
                parameter.requires_grad_(True)
        classifier_head(model).requires_grad_(True)
        return model
'''


def _method_literals() -> set[tuple[str, str]]:
    """(file, method name) for every string constant naming a method outside core/methods/."""
    names = set(METHODS) - ORDINARY_WORDS
    found = set()
    for folder in ("app", "core", "storage", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith("core/methods/"):
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in names:
                    found.add((relative, node.value))
    return found


def test_method_names_appear_outside_their_modules_only_as_default_choices():
    assert _method_literals() <= DEFAULT_CHOICES


def test_the_registry_is_ordered_and_each_method_has_its_facts_and_docs_page():
    assert [m.position for m in METHODS.values()] == sorted(m.position for m in METHODS.values())
    for name, method in METHODS.items():
        assert (ROOT / "docs" / "methods" / f"{name}.md").is_file(), name
        assert method.title_in("zh") and method.summary_in("zh"), name
        assert method.prompt_space in (None, "input", "keys"), name
    assert prompt_methods() == [n for n, m in METHODS.items() if m.has_prompt]
    assert [n for n, m in METHODS.items() if m.whole_model] == ["full"]


def test_prompt_growth_settings_come_after_each_methods_own_in_forms():
    for name in prompt_methods():
        rows = [row["name"] for row in METHODS[name].config_cls.describe()]
        assert rows[0] == "num_virtual_tokens" and rows[-2:] == ["grow", "grow_at"], name


@pytest.fixture
def eighth_method(tmp_path, monkeypatch):
    """A method added the way a contributor adds one: one new module in the package."""
    folder = tmp_path / "more_methods"
    folder.mkdir()
    (folder / "bias_only.py").write_text(textwrap.dedent(BIAS_ONLY), encoding="utf-8")
    monkeypatch.setattr(core.methods, "__path__", [*core.methods.__path__, str(folder)])
    found = discover(paths=core.methods.__path__)
    for name, method in found.items():
        monkeypatch.setitem(METHODS, name, method)
    return found


@pytest.mark.train
def test_an_eighth_method_needs_only_its_module(eighth_method, tiny_model_dir, tmp_path):
    order = list(eighth_method)  # its position puts it between head only and full
    assert order.index("bias_only") == order.index("head_only") + 1 == order.index("full") - 1
    args = build_parser().parse_args(
        ["--method", "bias_only", "--data", "x.csv", "--model", str(tiny_model_dir),
         "--include-layernorm"]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.method_options == {"include_layernorm": True}

    data = tmp_path / "reviews.csv"
    rows = [f"{word} film number {i},{label}" for i in range(20)
            for word, label in (("great", "positive"), ("awful", "negative"))]  # fmt: skip
    data.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    run = dataclasses.replace(
        config, data=str(data), max_steps=4, batch_size=8, out=str(tmp_path / "run")
    )
    summary = train_unrecorded(run)
    assert summary["status"] == "succeeded", summary.get("error")
    assert read_meta(Path(summary["adapter_path"]))["method"] == "bias_only"
    loaded = load_adapter(summary["adapter_path"])
    assert loaded.label_names == ["negative", "positive"]


def test_a_run_is_checked_once_however_many_layers_it_passes(tiny_model_dir, monkeypatch):
    calls = []
    real = checks.load_config
    monkeypatch.setattr(checks, "load_config", lambda name: calls.append(name) or real(name))
    values = {"data": "x.csv", "model": str(tiny_model_dir), "method": "lora", "seed": 1234}
    config = checked(values).config
    assert config is not None and len(calls) == 1
    renamed = dataclasses.replace(config, name="again", out="elsewhere")
    assert check_run(renamed).problems == [] and len(calls) == 1  # remembered
    changed = dataclasses.replace(config, max_length=64)
    assert check_run(changed).problems == [] and len(calls) == 2  # a new run is checked


def test_settings_given_flat_are_nested_and_strays_named_with_the_fix(tiny_model_dir):
    values = {"data": "x.csv", "model": str(tiny_model_dir), "method": "lora", "r": 2}
    assert checked(values).config.method_options == {"r": 2}
    with pytest.raises(ConfigProblems) as caught:
        checked({**values, "num_virtual_tokens": 5, "warp": 9})
    messages = [str(p) for p in caught.value.problems]
    assert any("num_virtual_tokens is not a setting of LoRA" in m for m in messages)
    assert any("unknown setting(s) warp" in m for m in messages)
    assert {p.setting for p in caught.value.problems} == {"method_options"}


def test_multitask_is_offered_by_the_methods_that_declare_it(tiny_model_dir):
    tasks = {"a": "a.csv", "b": "b.csv"}
    shared = " or ".join(n for n, m in METHODS.items() if m.multitask)
    problems = check_run({"method": "lora", "tasks": tasks, "model": str(tiny_model_dir)}).problems
    assert [p.setting for p in problems] == ["method"]
    assert f"choose {shared} instead of lora" in str(problems[0])


def test_the_model_check_names_the_model_setting(tmp_path):
    problems = check_run(TrainConfig(data="x.csv", model=str(tmp_path / "none"))).problems
    assert [p.setting for p in problems] == ["model"]


@pytest.mark.train
def test_one_start_click_checks_the_run_once(state, tiny_model_dir, monkeypatch):
    from app.shared.state import DEMO_DATA
    from app.tabs.train.logic import start_training
    from core.training import jobs

    calls = []
    real = checks.load_config
    monkeypatch.setattr(checks, "load_config", lambda name: calls.append(name) or real(name))
    values = {"data": str(DEMO_DATA), "method": "head_only", "model": str(tiny_model_dir),
              "cfg_max_steps": "2", "cfg_seed": 987, "cfg_precision": "fp32"}  # fmt: skip
    _, _, run_id = start_training(state, values)
    active = jobs.current()
    if active is not None and active.run is not None:
        active.run.wait(120)
    assert state.store.get_run(run_id)["status"] == "succeeded"
    assert len(calls) == 1  # form, recorder, runner and trainer share one check


def test_the_model_picker_names_the_family_and_the_methods_that_can_train_it(
    state, tiny_model_dir, tmp_path, monkeypatch
):
    from app.tabs.train.logic import show_model

    assert show_model(state, str(tiny_model_dir)) == (
        "Model family `bert`: every method can train it."
    )
    monkeypatch.setattr(METHODS["adapter"], "families", ("roberta",))
    line = show_model(state, str(tiny_model_dir))
    assert line.startswith("Model family `bert`: Prompt tuning, ")
    assert "; not Bottleneck adapter (" in line and ", Bottleneck adapter," not in line
    assert "Bottleneck adapter does not support 'bert' models; it supports roberta" in line
    assert show_model(state, str(tmp_path / "nowhere")).startswith("This model cannot be used:")
