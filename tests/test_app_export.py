"""Try it's "Export merged model": a zip of a plain model folder, or why a run cannot merge."""

from __future__ import annotations

import zipfile
from pathlib import Path

import gradio as gr
import pytest
import torch
from conftest import load_tiny_model, save_test_adapter
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from app.shared.state import AppState
from app.tabs.tryit.export import export_merged_run
from app.tabs.tryit.tab import build_tryit_tab
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.methods import METHODS
from storage.store import Store


def make_state(tmp_path: Path, lang: str = "en") -> AppState:
    state = AppState(store=Store(tmp_path / "studio.db"), lang=lang)
    state._predictor = Predictor(precision="fp32")
    return state


def record(state: AppState, model_dir: Path, folder: Path, method: str, pooling="cls") -> int:
    """A finished run of ``method`` whose adapter (trainable tensors moved off their start)
    is ``folder``."""
    torch.manual_seed(2)
    options = {"init": "random"} if method == "prompt_tuning" else {}
    wrapped = METHODS[method].wrap(
        load_tiny_model(model_dir), METHODS[method].config_cls(**options)
    )
    with torch.no_grad():
        for p in wrapped.parameters():
            if p.requires_grad:
                p.add_(torch.randn_like(p) * 0.3)
    save_test_adapter(wrapped, method, model_dir, folder, options, pooling=pooling)
    config = TrainConfig(data="reviews.csv", method=method).to_dict()
    run_id = state.store.create_run(
        name="r", method=method, base_model="m", dataset="d", config=config
    )
    state.store.finish_run(run_id, "succeeded", metrics={"adapter_path": str(folder)})
    return run_id


@pytest.mark.train
def test_a_lora_run_downloads_as_a_zipped_plain_model(tmp_path, tiny_model_dir):
    state = make_state(tmp_path)
    run_id = record(state, tiny_model_dir, tmp_path / "adapter", "lora")

    archive = Path(export_merged_run(state, run_id))

    assert archive.name == f"ptune-run-{run_id}-merged.zip"
    assert not (archive.parent / f"ptune-run-{run_id}-merged").exists()  # only the zip stays
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unzipped")
    folder = tmp_path / "unzipped" / f"ptune-run-{run_id}-merged"
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    texts = ["a good film", "terrible"]
    with torch.no_grad():
        probs = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits.softmax(-1)
    rows = state.predictor().predict(texts, [tmp_path / "adapter"])[str(tmp_path / "adapter")]
    expected = torch.tensor([[r["probabilities"]["neg"], r["probabilities"]["pos"]] for r in rows])
    torch.testing.assert_close(probs, expected, atol=1e-4, rtol=1e-4)


REFUSALS = {
    ("ptuning_v2", "en"): "A P-Tuning v2 run cannot be exported as a merged model: its learned "
    "key/value prefix joins the attention of every layer, and a plain Hugging Face classifier "
    "has no place for it. Download the run with \"Export as zip\" instead and serve its adapter "
    "folder with `python -m core.serve ADAPTER_FOLDER`.",
    ("adapter", "zh"): "瓶颈适配器 运行无法导出为合并后的模型：它的瓶颈层在每一层内增加了计算",
    ("prompt_tuning", "zh"): "提示微调 运行无法导出为合并后的模型：它学到的虚拟词元",
}  # fmt: skip


@pytest.mark.parametrize(("method", "lang"), list(REFUSALS))
def test_runs_that_cannot_merge_say_why_and_what_to_ship(method, lang, tmp_path, tiny_model_dir):
    state = make_state(tmp_path, lang)
    run_id = record(state, tiny_model_dir, tmp_path / "adapter", method)
    with pytest.raises(ValueError) as caught:
        export_merged_run(state, run_id)
    assert str(caught.value).startswith(REFUSALS[method, lang])
    assert str(caught.value).endswith(state.text("merge_ship_adapter"))


def test_a_mean_pooled_run_is_refused_and_no_run_picked_is_told(tmp_path, tiny_model_dir):
    state = make_state(tmp_path)
    run_id = record(state, tiny_model_dir, tmp_path / "adapter", "lora", pooling="mean")
    with pytest.raises(ValueError, match=r"^This LoRA run reads the average of all tokens "
                       r"\(mean pooling\).*Train with the pooling setting 'cls'"):  # fmt: skip
        export_merged_run(state, run_id)
    with pytest.raises(ValueError, match="Pick at least one trained run."):
        export_merged_run(state, None)


def test_the_button_shows_the_refusal_as_an_error(tmp_path, tiny_model_dir):
    state = make_state(tmp_path)
    run_id = record(state, tiny_model_dir, tmp_path / "adapter", "ptuning_v2")
    with gr.Blocks() as demo:
        c = build_tryit_tab(state, demo)
    assert c.merged_button.elem_id == "tryit-export-merged"
    assert c.merged_file.elem_id == "tryit-export-merged-file"
    handler = next(f.fn for f in demo.fns.values() if f.name == "on_export_merged")
    with pytest.raises(gr.Error, match="A P-Tuning v2 run cannot be exported as a merged model"):
        handler(run_id)
