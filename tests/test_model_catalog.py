"""Suggested base models by size: their parameters come from config values kept in the engine
(no download), and the Train tab's table estimates each for the form's run."""

from __future__ import annotations

import pytest

from core import fit
from core.config import TrainConfig
from core.fit import GB
from core.model_catalog import KNOWN_MODELS, suggestions

EXPECTED_PARAMETERS = {  # the sizes their model cards give, without the language-model head
    "sentence-transformers/all-MiniLM-L6-v2": 22.7e6,
    "bert-base-uncased": 110e6,
    "roberta-base": 125e6,
    "microsoft/deberta-v3-base": 184e6,
    "HuggingFaceTB/SmolLM2-135M": 135e6,
    "HuggingFaceTB/SmolLM2-360M": 362e6,
    "Qwen/Qwen2.5-0.5B": 494e6,
    "meta-llama/Llama-3.2-1B": 1.24e9,
    "google/gemma-3-1b-pt": 1.0e9,
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": 1.03e9,
}


@pytest.mark.parametrize("model_id", sorted(EXPECTED_PARAMETERS))
def test_a_known_models_parameters_come_from_its_config(model_id):
    known = {m.model_id: m for m in KNOWN_MODELS}[model_id]
    assert known.parameters == pytest.approx(EXPECTED_PARAMETERS[model_id], rel=0.06)


def test_the_catalogue_has_encoders_and_decoders_of_each_family():
    kinds = {m.kind for m in KNOWN_MODELS}
    families = {m.family for m in KNOWN_MODELS}
    assert kinds == {"encoder", "decoder"}
    assert {"bert", "roberta", "deberta-v2", "llama", "qwen2", "gemma3_text"} <= families


def test_suggestions_go_smallest_first_and_say_which_fit():
    rows = suggestions("full", 8, 128, "no", available=4 * GB)
    sizes = [row.parameters for row in rows]
    assert sizes == sorted(sizes) and rows[0].model_id.endswith("all-MiniLM-L6-v2")
    assert rows[0].fits and not rows[-1].fits  # 1B parameters of AdamW states need 16 GB
    lora = suggestions("lora", 8, 128, "bf16")
    assert all(row.fits for row in lora)  # no available figure: nothing is ruled out
    qwen = [r for r, f in zip(lora, rows, strict=True) if r.model_id == "Qwen/Qwen2.5-0.5B"]
    assert qwen[0].memory_gb < [r for r in rows if r.model_id == "Qwen/Qwen2.5-0.5B"][0].memory_gb


def test_the_train_tab_table_follows_the_form_without_a_browser(state, monkeypatch):
    from app.tabs.train import suggest

    monkeypatch.setattr(suggest, "available_bytes", lambda device: 4 * GB)
    table = suggest.suggestion_table(state, "full", 8, "128", "fp32", False)
    assert list(table.columns) == ["Model", "Kind", "Family", "Parameters", "Est. memory (GB)",
                                   "Fits here", "Est. rows/s (sentences)"]  # fmt: skip
    speeds = [float(speed) for speed in table["Est. rows/s (sentences)"]]
    assert speeds[0] == pytest.approx(150, rel=0.1)  # MiniLM, the measured reference
    assert speeds[-1] < speeds[0] / 20  # a 1B decoder
    assert len(table) == len(KNOWN_MODELS)
    assert set(table["Kind"]) == {"encoder", "decoder"}
    assert table.iloc[0]["Parameters"] == "22.5M" and table.iloc[0]["Fits here"] == "✓"
    assert table.iloc[-1]["Fits here"] == "✗"
    smaller = suggest.suggestion_table(state, "full", 8, 128, "fp32", True)
    assert (smaller["Est. memory (GB)"] <= table["Est. memory (GB)"]).all()
    half_typed = suggest.suggestion_table(state, None, "", None, None)  # defaults stand in
    assert len(half_typed) == len(KNOWN_MODELS)
    assert suggest.picked_model(table, 1) == table.iloc[1]["Model"]
    assert suggest.picked_model(table, len(table)) is None


def test_the_train_tab_table_reads_in_chinese(state):
    from app.tabs.train import suggest

    state.lang = "zh"
    table = suggest.suggestion_table(state, "lora", 8, 128, "bf16")
    assert "模型" in table.columns and set(table["类型"]) == {"编码器", "解码器"}


def test_the_checked_runs_estimate_names_its_peak_memory(state, monkeypatch):
    from app.tabs.train import suggest

    monkeypatch.setattr(suggest, "available_bytes", lambda device: 16 * GB)
    config = TrainConfig(data="reviews.csv", method="full", precision="fp32")
    text = suggest.memory_text(state, config)
    size = fit.model_size({**KNOWN_MODELS[0].config})
    need = fit.estimate_memory(size, "full", 32, 128, "no").total / GB
    assert f"about **{need:.1f} GB** of 16.0 GB available" in text
