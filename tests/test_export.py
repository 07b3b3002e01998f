"""Merged model folders (core.export): plain transformers predicts as PTune's Predictor does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import load_tiny_model, make_tiny_model_dir, save_test_adapter, train_config
from safetensors.torch import load_file
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from core.analysis.predict import Predictor
from core.errors import AdapterLoadError, ExportError
from core.export import export_merged, main
from core.methods import METHODS
from core.runs import train_unrecorded

TEXTS = [
    "a good film",
    "terrible",
    "the plot was awful and the acting was poor but the music was lovely " * 4,  # > max_length
    "great",
]
REFUSED = ("prompt_tuning", "ptuning_v1", "ptuning_v2", "adapter")
ROOT = Path(__file__).resolve().parents[1]


def plain_probabilities(folder: Path, texts: list[str]) -> tuple[torch.Tensor, list[str]]:
    """What a person with only transformers gets from the merged folder."""
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(texts, truncation=True, padding=True, return_tensors="pt")
    with torch.no_grad():
        probs = model(**batch).logits.softmax(-1)
    return probs, [model.config.id2label[i] for i in range(model.config.num_labels)]


def assert_same_predictions(adapter: Path, merged: Path) -> None:
    rows = Predictor(precision="fp32").predict(TEXTS, [adapter])[str(adapter)]
    probs, labels = plain_probabilities(merged, TEXTS)
    expected = torch.tensor([[row["probabilities"][name] for name in labels] for row in rows])
    torch.testing.assert_close(probs, expected, atol=1e-4, rtol=1e-4)
    assert [labels[i] for i in probs.argmax(-1).tolist()] == [row["label"] for row in rows]


def trained_adapter(method: str, model_dir: Path, folder: Path, pooling: str = "cls") -> Path:
    """An adapter of ``method`` whose trainable tensors are moved away from their start (LoRA's
    B is zero at first, so an unmoved update would fold in nothing)."""
    torch.manual_seed(1)
    wrapped = METHODS[method].wrap(load_tiny_model(model_dir), METHODS[method].config_cls())
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.3)
    return save_test_adapter(wrapped, method, model_dir, folder, pooling=pooling)


@pytest.mark.train
@pytest.mark.parametrize("method", ["lora", "full"])
def test_a_trained_run_merges_into_a_plain_model_that_predicts_the_same(
    method, tmp_path, reviews, tiny_model_dir
):
    config = train_config(tmp_path, reviews, tiny_model_dir, method=method, max_steps=4)
    summary = train_unrecorded(config)
    adapter = Path(summary["adapter_path"])

    merged = export_merged(adapter, tmp_path / "merged")

    assert_same_predictions(adapter, merged)
    config_json = json.loads((merged / "config.json").read_text())
    assert config_json["id2label"] == {"0": "negative", "1": "positive"}
    assert config_json["label2id"] == {"negative": 0, "positive": 1}
    assert not any("lora" in key for key in load_file(str(merged / "model.safetensors")))
    assert "negative, positive" in (merged / "README.md").read_text()


@pytest.mark.parametrize("family", ["bert", "distilbert", "deberta-v2", "modernbert"])
def test_lora_folds_in_with_the_family_head_modules(family, tmp_path):
    model_dir = make_tiny_model_dir(tmp_path / "base", family)
    adapter = trained_adapter("lora", model_dir, tmp_path / "adapter")

    merged = export_merged(adapter, tmp_path / "merged")

    assert_same_predictions(adapter, merged)
    base = load_file(str(model_dir / "model.safetensors"))
    mine = load_file(str(merged / "model.safetensors"))
    changed = [k for k in base if k in mine and not torch.equal(base[k], mine[k])]
    assert any("attention" in k or "attn" in k for k in changed)  # the updates were folded in


@pytest.mark.parametrize("family", ["bert", "deberta-v2"])
def test_head_only_exports_the_base_with_its_trained_head(family, tmp_path):
    model_dir = make_tiny_model_dir(tmp_path / "base", family)
    adapter = trained_adapter("head_only", model_dir, tmp_path / "adapter")
    merged = export_merged(adapter, tmp_path / "merged")
    assert_same_predictions(adapter, merged)


@pytest.mark.parametrize("method", REFUSED)
def test_methods_that_add_computation_are_refused_with_what_to_ship(
    method, tmp_path, tiny_model_dir
):
    options = {"init": "random"} if method == "prompt_tuning" else {}
    wrapped = METHODS[method].wrap(
        load_tiny_model(tiny_model_dir), METHODS[method].config_cls(**options)
    )
    adapter = save_test_adapter(wrapped, method, tiny_model_dir, tmp_path / "a", options)
    with pytest.raises(ExportError) as caught:
        export_merged(adapter, tmp_path / "merged")
    message = str(caught.value)
    assert f"A {METHODS[method].title} adapter cannot be merged into a plain model: " in message
    assert METHODS[method].merge_refusal in message
    assert f"serve it over HTTP with `python -m core.serve {adapter}`" in message
    assert not (tmp_path / "merged").exists()


def test_mean_pooling_is_refused_since_the_plain_class_reads_the_first_token(
    tmp_path, tiny_model_dir
):
    adapter = trained_adapter("lora", tiny_model_dir, tmp_path / "a", pooling="mean")
    with pytest.raises(ExportError, match=r"reads the average of all tokens \(mean pooling.*"
                       r"Train with pooling 'cls' \(--pooling cls\)"):  # fmt: skip
        export_merged(adapter, tmp_path / "merged")


def test_an_occupied_output_folder_is_refused_and_left_alone(tmp_path, tiny_model_dir):
    adapter = trained_adapter("head_only", tiny_model_dir, tmp_path / "a")
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="mine already exists and is not an empty folder; "
                       "choose a new folder"):  # fmt: skip
        export_merged(adapter, out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "mine"]  # no staging left over
    empty = tmp_path / "empty"
    empty.mkdir()
    assert (export_merged(adapter, empty) / "model.safetensors").is_file()


def test_a_folder_that_is_no_adapter_is_refused(tmp_path):
    with pytest.raises(AdapterLoadError, match="is not a PTune Studio adapter folder"):
        export_merged(tmp_path, tmp_path / "merged")


@pytest.mark.train
def test_command_line_prints_the_folder_or_the_reason(tmp_path, tiny_model_dir, capsys):
    adapter = trained_adapter("head_only", tiny_model_dir, tmp_path / "a")
    assert main([str(adapter), "--merged", str(tmp_path / "m")]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary == {"merged": str(tmp_path / "m"), "method": "head_only",
                       "labels": ["neg", "pos"]}  # fmt: skip

    v2 = METHODS["ptuning_v2"]
    wrapped = v2.wrap(load_tiny_model(tiny_model_dir), v2.config_cls())
    refused = save_test_adapter(wrapped, "ptuning_v2", tiny_model_dir, tmp_path / "v2")
    done = subprocess.run(
        [sys.executable, "-m", "core.export", str(refused), "--merged", str(tmp_path / "x")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: A P-Tuning v2 adapter cannot be merged")
    assert done.stdout == ""
