"""Try it's "Why?" and "Prompt words" views, called directly (no server, no browser)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import pandas as pd
import pytest
import torch
from conftest import MOVIE, hinge_model, load_tiny_model, save_test_adapter

from app.i18n import SERVER_TEXT
from app.shared.explain import coloured_text, show_why
from app.shared.state import AppState
from app.tabs.tryit.prompt_words import prompt_run_choices
from app.tabs.tryit.tab import build_tryit_tab
from app.tabs.tryit.view import show_prompt_words
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.methods import METHODS
from storage.store import Store

KEYS = ("why_head", "why_tip", "why_truncated", "no_prompt_run", "col_virtual_token",
        "col_nearest", "col_norm", "prompt_space_embeddings", "prompt_space_keys",
        "prompt_drift", "prompt_close")  # fmt: skip


@pytest.fixture()
def state(tmp_path) -> AppState:
    app_state = AppState(store=Store(tmp_path / "studio.db"))
    app_state._predictor = Predictor(precision="fp32")
    return app_state


def record(state: AppState, folder: Path, method: str, name: str = "r") -> int:
    """A finished run whose adapter is ``folder``."""
    config = TrainConfig(data="reviews.csv", method=method).to_dict()
    run_id = state.store.create_run(
        name=name, method=method, base_model="m", dataset="d", config=config
    )
    state.store.finish_run(run_id, "succeeded", metrics={"adapter_path": str(folder)})
    return run_id


def prompt_run(state: AppState, model_dir: Path, folder: Path, method: str) -> int:
    """A prompt-method run of 3 virtual tokens; token 2 equals the word 'movie' where it can."""
    options = {"num_virtual_tokens": 3}
    if method == "prompt_tuning":
        options["init"] = "random"
    wrapped = METHODS[method].wrap(
        load_tiny_model(model_dir), METHODS[method].config_cls(**options)
    )
    if method == "prompt_tuning":
        with torch.no_grad():
            table = wrapped.get_input_embeddings().weight
            wrapped.prompt_encoder["default"].embedding.weight[1] = table[MOVIE]
    return record(state, save_test_adapter(wrapped, method, model_dir, folder, options), method)


# ----------------------------------------------------------------------------- why
def test_why_shows_each_run_with_the_deciding_word_in_deep_green(state, tiny_model_dir, tmp_path):
    hinge = record(state, hinge_model(tiny_model_dir, tmp_path / "h"), "full", "<b>hinge</b>")
    other = prompt_run(state, tiny_model_dir, tmp_path / "p", "prompt_tuning")

    page = show_why(state, "  The plot was terrible.  ", [hinge, other])

    assert page.count('class="ptune-why"') == 2
    assert f"<b>#{hinge} &lt;b&gt;hinge&lt;/b&gt;</b> predicts <b>neg</b>" in page
    assert f"<b>#{other} r</b> predicts" in page
    assert 'background: rgba(22, 163, 74, 0.75); border-radius: 4px; padding: 1px 2px" ' in page
    deepest = page.split("rgba(22, 163, 74, 0.75)")[1].split("</span>")[0]
    assert deepest.endswith(">terrible")


def test_words_are_coloured_by_sign_and_strength_and_escaped():
    result = {
        "text": "good <b> bad",
        "spans": [(0, 4), (5, 6), (6, 7), (7, 8), (9, 12)],
        "words": [("good", 0.4), ("<", 0.0), ("b", 0.0), (">", 0.0), ("bad", -0.2)],
    }
    page = coloured_text(result)
    assert "rgba(22, 163, 74, 0.75)" in page and "rgba(220, 38, 38, 0.38)" in page
    assert 'title="+40.0 percentage points">good</span>' in page
    assert 'title="-20.0 percentage points">bad</span>' in page
    assert "&lt;" in page and "<b>" not in page
    faint = coloured_text({**result, "words": [("good", 0.01)] + result["words"][1:4] + [
        ("bad", 0.0)]})  # fmt: skip
    assert "rgba(22, 163, 74, 0.15)" in faint  # a small effect stays pale


def test_why_warns_instead_of_failing_on_bad_input(state, tiny_model_dir, tmp_path):
    run_id = record(state, hinge_model(tiny_model_dir, tmp_path / "h"), "full")
    with pytest.warns(UserWarning, match="Pick at least one trained run"):
        assert show_why(state, "a fine film", []) == ""
    with pytest.warns(UserWarning, match="Type a sentence first"):
        assert show_why(state, "   ", [run_id]) == ""
    with pytest.warns(UserWarning, match="The text has 201 words and punctuation marks"):
        assert show_why(state, " ".join(["word"] * 201), [run_id]) == ""
    state.lang = "zh"
    with pytest.warns(UserWarning, match="请先输入一句话"):
        assert show_why(state, None, [run_id]) == ""
    assert "预测为 <b>neg</b>" in show_why(state, "terrible", [run_id])


# ----------------------------------------------------------------------------- prompt words
def test_prompt_words_table_lists_each_virtual_token(state, tiny_model_dir, tmp_path):
    run_id = prompt_run(state, tiny_model_dir, tmp_path / "p", "prompt_tuning")

    table, note = show_prompt_words(state, run_id, 3)

    assert list(table.columns) == ["Virtual token", "Nearest words (cosine similarity)",
                                   "Norm vs. words"]  # fmt: skip
    assert list(table["Virtual token"]) == ["#1", "#2", "#3"]
    assert table.iloc[1, 1].startswith("movie (1.00), ")
    assert table.iloc[1, 1].count("(") == 3
    assert table.iloc[1, 2].endswith("×")
    assert f"Each virtual token of **#{run_id} r** is compared with the base model's word" in note
    assert "Best similarities average" in note


def test_prompt_words_of_ptuning_v2_are_read_in_key_space(state, tiny_model_dir, tmp_path):
    run_id = prompt_run(state, tiny_model_dir, tmp_path / "v2", "ptuning_v2")
    table, note = show_prompt_words(state, run_id, 2)
    assert len(table) == 3
    assert "first-layer attention key" in note


def test_prompt_words_warn_for_a_missing_or_non_prompt_run(state, tiny_model_dir, tmp_path):
    lora = METHODS["lora"].wrap(load_tiny_model(tiny_model_dir), METHODS["lora"].config_cls())
    run_id = record(state, save_test_adapter(lora, "lora", tiny_model_dir, tmp_path / "l"), "lora")
    columns = ["Virtual token", "Nearest words (cosine similarity)", "Norm vs. words"]
    with pytest.warns(UserWarning, match="This run uses lora; word neighbours exist only for "
                      "prompt methods"):  # fmt: skip
        table, note = show_prompt_words(state, run_id, 5)
    assert isinstance(table, pd.DataFrame) and table.empty and list(table.columns) == columns
    assert note == ""
    with pytest.warns(UserWarning, match="Pick a run trained with a prompt method"):
        show_prompt_words(state, None, 5)


def test_only_prompt_method_runs_are_offered_for_prompt_words(state, tiny_model_dir, tmp_path):
    prompt = prompt_run(state, tiny_model_dir, tmp_path / "p", "prompt_tuning")
    other = record(state, hinge_model(tiny_model_dir, tmp_path / "h"), "full")
    choices = [("a", prompt), ("b", other)]
    assert prompt_run_choices(state, choices) == [("a", prompt)]

    with gr.Blocks() as demo:
        c = build_tryit_tab(state, demo)
    built = {name for name, component in vars(c).items() if component is not None}
    assert {"why", "why_out", "prompt_run", "prompt_k", "prompt_show", "prompt_table"} <= built
    assert c.why.elem_id == "tryit-why" and c.prompt_run.elem_id == "tryit-prompt-run"
    runs, export, prompt_list = c.on_refresh(None)
    assert {value for _, value in runs["choices"]} == {prompt, other}
    assert [value for _, value in prompt_list["choices"]] == [prompt]
    assert prompt_list["value"] == prompt


def test_the_views_speak_english_and_chinese():
    for key in KEYS:
        assert key in SERVER_TEXT["en"] and key in SERVER_TEXT["zh"], key
