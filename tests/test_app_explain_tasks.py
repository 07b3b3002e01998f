"""Try it's and the Monitor's "Why?" for every task: a pair's two texts shown and named, a
score's words raising or lowering it, a multi-label run's labels, and the warnings a person
sees (a text missing, a tagger)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import gradio as gr
import pytest
from conftest import FILLER, NEGATIVE, POSITIVE, hinge_model

from app.i18n import SERVER_TEXT
from app.shared.explain import show_why
from app.shared.state import AppState
from app.tabs.monitor.diagnose_view import diagnose, why_mistake
from app.tabs.tryit.tab import build_tryit_tab
from core.analysis import mistakes
from core.analysis.predict import Predictor
from core.config import TrainConfig
from core.training.artifacts import save_adapter

FIRST, SECOND = "A calm evening.", "The plot was terrible."
KEYS = ("why_tip_score", "why_head_score", "why_head_labels", "why_head_no_label", "why_part")
DEEP_GREEN = "rgba(22, 163, 74, 0.75)"


@pytest.fixture()
def app(state: AppState) -> AppState:
    state._predictor = Predictor(precision="fp32")
    return state


def record(state: AppState, folder: Path, name: str = "r") -> int:
    """A finished run whose adapter is ``folder``."""
    config = TrainConfig(data="reviews.csv", method="full").to_dict()
    run_id = state.store.create_run(
        name=name, method="full", base_model="m", dataset="d", config=config
    )
    state.store.finish_run(run_id, "succeeded", metrics={"adapter_path": str(folder)})
    return run_id


def parts_of(block: str) -> dict[str, str]:
    """A run's block split at its texts' names: {"Text 1": its paragraph, ...}."""
    pieces = block.split("<small><b>")[1:]
    return {piece.split("</b>")[0]: piece.split("</p>")[0] for piece in pieces}


def test_why_shows_both_texts_of_a_pair_each_under_its_name(app, tiny_model_dir, tmp_path):
    pair = record(app, hinge_model(tiny_model_dir, tmp_path / "p", task="pair"), "pairs")
    single = record(app, hinge_model(tiny_model_dir, tmp_path / "s"), "one")

    page = show_why(app, f"  {FIRST} ", [pair, single], f" {SECOND}  ")

    first, second = page.split('<div class="ptune-why">')[1:]
    assert f"<b>#{pair} pairs</b> predicts <b>neg</b>" in first
    texts = parts_of(first)
    assert list(texts) == ["Text 1", "Text 2"]
    assert ">calm</span>" in texts["Text 1"] and ">terrible" not in texts["Text 1"]
    assert ">plot</span>" in texts["Text 2"]
    assert texts["Text 2"].split(DEEP_GREEN)[1].split("</span>")[0].endswith(">terrible")
    # a one-text run beside it explains the first text alone
    assert f"<b>#{single} one</b> predicts <b>pos</b>" in second
    assert "Text 1" not in second and ">calm</span>" in second and "terrible" not in second


def test_the_why_button_reads_the_second_box(app, tiny_model_dir, tmp_path):
    pair = record(app, hinge_model(tiny_model_dir, tmp_path / "p", task="pair"), "pairs")
    with gr.Blocks() as demo:
        c = build_tryit_tab(app, demo)
    why = next(f for f in demo.fns.values() if f.name == "on_why")
    assert why.inputs == [c.text, c.runs, c.text_pair] and why.outputs == [c.why_out]
    assert list(parts_of(why.fn(FIRST, [pair], SECOND))) == ["Text 1", "Text 2"]


def test_why_of_a_pair_warns_without_the_second_text(app, tiny_model_dir, tmp_path):
    pair = record(app, hinge_model(tiny_model_dir, tmp_path / "p", task="pair"))
    with pytest.warns(UserWarning, match="This run classifies text pairs: give both texts"):
        assert show_why(app, FIRST, [pair]) == ""
    with pytest.warns(UserWarning, match="This run classifies text pairs"):
        assert show_why(app, FIRST, [pair], "   ") == ""
    app.lang = "zh"
    assert "<b>文本 2</b>" in show_why(app, FIRST, [pair], SECOND)


def test_why_of_a_score_says_how_each_word_moves_it(app, tiny_model_dir, tmp_path):
    folder = hinge_model(tiny_model_dir, tmp_path / "score", task="regression",
                         labels=["score"], bias=[1.0])  # fmt: skip
    run_id = record(app, folder, "stsb")

    page = show_why(app, SECOND, [run_id])

    assert f"<b>#{run_id} stsb</b> predicts a score of <b>" in page
    assert "green words raised it, red words lowered it" in page
    assert "percentage points" not in page
    deepest = page.split(DEEP_GREEN)[1].split("</span>")[0]
    assert deepest.endswith(">terrible") and "to the score" in deepest
    assert 'title="-' in page  # the other words lowered it


def test_why_of_several_labels_names_the_labels_predicted(app, tiny_model_dir, tmp_path):
    folder = hinge_model(tiny_model_dir, tmp_path / "multi", task="multi_label", bias=[-1.0, 1.0])
    none = hinge_model(tiny_model_dir, tmp_path / "none", task="multi_label", bias=[-3.0, -2.0])
    runs = [record(app, folder, "emotions"), record(app, none, "quiet")]

    page = show_why(app, SECOND, runs)

    assert f"<b>#{runs[0]} emotions</b> predicts <b>neg (100%), pos (73%)</b>" in page
    assert "its pull on these labels together" in page
    assert page.split(DEEP_GREEN)[1].split("</span>")[0].endswith(">terrible")
    quiet = show_why(app, FIRST, runs[1:])
    assert f"<b>#{runs[1]} quiet</b> predicts no label" in quiet and "<b>pos (12%)</b>" in quiet


def test_why_of_a_tagger_warns_that_it_tags_words(app, tiny_model_dir, tmp_path):
    from transformers import AutoModelForTokenClassification

    model = AutoModelForTokenClassification.from_pretrained(tiny_model_dir, num_labels=2)
    config = TrainConfig(data="x.txt", method="full", model=str(tiny_model_dir))
    save_adapter(tmp_path / "t", model, config, ["O", "B-PER"], max_length=48, task="tagging")
    run_id = record(app, tmp_path / "t")
    with pytest.warns(UserWarning, match="This run tags words: its answer is a tag per word"):
        assert show_why(app, "Anna visited Paris", [run_id]) == ""
    app.lang = "zh"
    with pytest.warns(UserWarning, match="该运行为每个词打标签"):
        show_why(app, "Anna visited Paris", [run_id])


def test_the_new_why_texts_speak_english_and_chinese():
    for key in KEYS:
        assert key in SERVER_TEXT["en"] and key in SERVER_TEXT["zh"], key


# ----------------------------------------------------------------------------- monitor
def write_pairs(path: Path, rows: int = 60) -> Path:
    """Pairs of short reviews labelled at random: a run trained briefly gets many wrong."""
    rng = random.Random(1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sentence1", "sentence2", "label"])
        for _ in range(rows):
            first, second = (" ".join(rng.sample(FILLER, 3) + rng.sample(POSITIVE + NEGATIVE, 1))
                             for _ in range(2))  # fmt: skip
            writer.writerow([first, second, rng.choice(["same", "other"])])
    return path


@pytest.mark.train
def test_clicking_a_pair_mistake_explains_both_its_texts(app, tiny_model_dir, tmp_path_factory):
    from core import runs

    data = write_pairs(tmp_path_factory.getbasetemp() / "why-pairs.csv")
    config = TrainConfig(data=str(data), model=str(tiny_model_dir), method="head_only",
                         batch_size=16, max_steps=2, validation_fraction=0.3,
                         precision="fp32")  # fmt: skip
    handle = runs.start(app.store, config)
    assert handle.wait(120)["status"] == "succeeded"
    mistakes._cache.clear()
    table = diagnose(app, handle.run_id, False)[5]
    row = table.values.tolist()[0]
    first, second = row[1].split(" ‖ ")
    event = gr.SelectData(None, {"index": [0, 1], "value": row[1], "row_value": row})

    page = why_mistake(app, handle.run_id, event)

    assert page.count('class="ptune-why"') == 1 and f"predicts <b>{row[3]}</b>" in page
    texts = parts_of(page)
    assert list(texts) == ["Text 1", "Text 2"]
    assert all(f">{word}</span>" in texts["Text 1"] for word in first.split())
    assert all(f">{word}</span>" in texts["Text 2"] for word in second.split())
