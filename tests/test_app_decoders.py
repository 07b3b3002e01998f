"""A decoder run in the app and beyond it: the model box, Try it, Compare, Monitor's diagnosis,
Few-shot, Sweep, the merged export and the HTTP server (core.serve) all take a decoder run as
an encoder's."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import torch
from conftest import ask_server, make_tiny_model_dir, serving_model, write_labelled
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from app.shared.state import AppState
from app.tabs.compare.logic import show_comparison
from app.tabs.monitor.diagnose_view import diagnose
from app.tabs.train.logic import show_model
from app.tabs.tryit.export import export_merged_run
from app.tabs.tryit.predict import predict_text
from core import runs
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.fewshot import FewShotConfig, run_fewshot
from core.sweep import SweepConfig, run_sweep
from core.training.recording import adapter_folder
from storage.store import Store

pytestmark = pytest.mark.train

TEXTS = ["a good film", "terrible", "the acting was poor but the music was lovely"]


@pytest.fixture(scope="module")
def decoder_runs(tmp_path_factory):
    """A store with a LoRA run on a tiny Llama and a prompt-tuning run on a tiny GPT-2."""
    folder = tmp_path_factory.mktemp("decoder-runs")
    data = write_labelled(folder / "two.csv", ["negative", "positive"], 60, 4)
    store = Store(folder / "home" / "studio.db")
    ids = []
    for family, method in (("llama", "lora"), ("gpt2", "prompt_tuning")):
        model = make_tiny_model_dir(folder / family, family)
        options = {"num_virtual_tokens": 4} if method == "prompt_tuning" else {}
        config = TrainConfig(data=str(data), model=str(model), method=method, batch_size=16,
                             max_steps=3, log_every=1, validation_fraction=0.3,
                             precision="fp32", method_options=options)  # fmt: skip
        handle = runs.start(store, config)
        assert handle.wait(120)["status"] == "succeeded"
        ids.append(handle.run_id)
    return store, ids, folder


@pytest.fixture()
def app_state(decoder_runs) -> AppState:
    store, _, folder = decoder_runs
    state = AppState(store=store, data_dir=folder)
    state._predictor = Predictor(precision="fp32")
    return state


def test_the_model_box_names_the_decoder_family_and_its_methods(app_state, decoder_runs):
    folder = decoder_runs[2]
    assert show_model(app_state, str(folder / "llama")).startswith(
        "Model family `llama` (Llama, a decoder: it reads the last token): "
    )
    app_state.lang = "zh"
    assert show_model(app_state, str(folder / "gpt2")).startswith(
        "模型系列 `gpt2`（GPT-2，解码器：读取最后一个词元）："
    )


def test_try_it_predicts_a_decoder_run_as_the_predictor_does(app_state, decoder_runs):
    store, ids, _ = decoder_runs
    for run_id in ids:
        table, _ = predict_text(app_state, TEXTS[0], [run_id])
        folder = adapter_folder(store, run_id)
        row = Predictor(precision="fp32").predict(TEXTS[:1], [folder])[str(folder)][0]
        assert table.values.tolist()[0][1:] == [row["label"], f"{row['score']:.1%}"]


def test_compare_and_the_diagnosis_show_decoder_runs(app_state, decoder_runs):
    _, ids, _ = decoder_runs
    table, _, warnings = show_comparison(app_state, ids)
    assert warnings == [] and list(table["Method"]) == ["lora", "prompt_tuning"]
    summary = diagnose(app_state, ids[0], False)[0]
    assert summary.startswith(f"**#{ids[0]} lora on two.csv**: 18 validation rows looked at, ")


def test_a_decoder_lora_run_exports_a_plain_model_that_predicts_the_same(
    app_state, decoder_runs, tmp_path
):
    store, ids, _ = decoder_runs
    archive = export_merged_run(app_state, ids[0])
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path)
    merged = tmp_path / f"ptune-run-{ids[0]}-merged"
    model = AutoModelForSequenceClassification.from_pretrained(merged).eval()
    tokenizer = AutoTokenizer.from_pretrained(merged)
    assert type(model).__name__ == "LlamaForSequenceClassification"
    batch = tokenizer(TEXTS, truncation=True, padding=True, return_tensors="pt")
    with torch.no_grad():
        probs = model(**batch).logits.softmax(-1)
    folder = adapter_folder(store, ids[0])
    rows = Predictor(precision="fp32").predict(TEXTS, [folder])[str(folder)]
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    expected = torch.tensor([[row["probabilities"][name] for name in labels] for row in rows])
    torch.testing.assert_close(probs, expected, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("run", [0, 1])
def test_the_server_answers_a_decoder_run_as_the_predictor_does(decoder_runs, run):
    store, ids, _ = decoder_runs
    folder = Path(adapter_folder(store, ids[run]))
    predictor = Predictor(precision="fp32")
    with serving_model(folder, predictor) as (port, _):
        status, data = ask_server(port, "/predict", {"texts": TEXTS})
    assert status == 200
    expected = predictor.predict(TEXTS, [folder])[str(folder)]
    for got, want in zip(data["predictions"], expected, strict=True):
        assert got["label"] == want["label"]
        for label, value in want["probabilities"].items():
            assert got["probabilities"][label] == pytest.approx(value, abs=1e-5)


def test_a_few_shot_curve_and_a_prompt_length_sweep_run_on_a_decoder(decoder_runs, tmp_path):
    folder = decoder_runs[2]
    base = TrainConfig(data=str(folder / "two.csv"), model=str(folder / "gpt2"), batch_size=8,
                       max_length=32, max_steps=2, log_every=1, eval_every=2, precision="fp32",
                       eval_sample_rows=20)  # fmt: skip
    with Store(tmp_path / "home" / "studio.db") as store:
        curve = run_fewshot(
            store, FewShotConfig(base=base, methods=("lora",), shots=(4,), seeds=1, steps=2)
        )
        assert curve["status"] == "succeeded", curve.get("error")
        assert [(e["method"], e["shots"], e["runs"]) for e in curve["curve"]] == [("lora", 4, 1)]
        grid = SweepConfig(base=base, method="prompt_tuning", lengths=(2, 4), lrs=(0.01,))
        sweep = run_sweep(store, grid)
        assert sweep["status"] == "succeeded", sweep
        assert [r["num_virtual_tokens"] for r in sweep["runs"]] == [2, 4]
        assert all(0 <= r["eval_accuracy"] <= 1 for r in sweep["runs"])
