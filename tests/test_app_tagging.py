"""Tagged words in the app: the Train tab previews a CoNLL or JSON lines dataset as tagging with
the reason, /check summarises it, Try it highlights entities, the API answers words and tags."""

from __future__ import annotations

import json

import pytest
from test_tagging_task import write_conll

from app.server.api import check
from app.tabs.train.view import show_dataset


@pytest.fixture(scope="module")
def conll_app(tmp_path_factory):
    return write_conll(tmp_path_factory.getbasetemp() / "conll-app")


def test_a_conll_folder_previews_as_tagging_with_its_reason(state, conll_app):
    table, _chart, text, label, pair, summary = show_dataset(state, str(conll_app))
    assert list(table.columns) == ["words", "tags"] and table["tags"][0].startswith("B-PER")
    assert "60 sentences, 3 tags: O, B-LOC, B-PER. Entities: LOC (60), PER (60)." in summary
    assert "Task: **tagging** (every line of train.txt looked at" in summary
    assert text["choices"] == [] and label["value"] is None and pair["value"] == ""
    state.lang = "zh"
    assert "60 个句子，3 个标签" in show_dataset(state, str(conll_app / "train.txt"))[-1]


def test_json_lines_preview_as_tagging_when_chosen(state, tmp_path_factory):
    path = tmp_path_factory.getbasetemp() / "ner.jsonl"
    rows = [{"tokens": ["Anna", "left", "Rome"], "tags": ["B-PER", "O", "B-LOC"]}] * 12
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    summary = show_dataset(state, str(path), task="tagging")[-1]
    assert "12 sentences" in summary and "Task: **tagging** (chosen: tagging)." in summary
    assert "Task: **tagging**" not in show_dataset(state, str(path))[-1]


def test_check_summarises_tagged_data(state, conll_app, tiny_model_dir):
    answer = check(state, {"data": str(conll_app), "model": str(tiny_model_dir),
                           "method": "lora", "max_steps": 2})  # fmt: skip
    splits = answer["data"]["splits"]
    assert splits["train"]["rows"] == 60 and splits["train"]["label_counts"]["B-PER"] == 60
    assert answer["data"]["task"] == "tagging"
