"""Text pairs through the surfaces outside the app: the command line, the model server and
the exported model folder; each asked with and without the second text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import ask_server, serving_model, train_config
from test_pairs import write_pairs

from core.analysis.predict import Predictor
from core.serve.checks import BadRequest, read_texts

PAIRS = [("a good film", "a great film"), ("a bad film", "a lovely story")]


@pytest.fixture(scope="module")
def pair_run(tmp_path_factory, tiny_model_dir) -> Path:
    """The adapter folder of a short LoRA run on a sentence1/sentence2 file."""
    from core.runs import train_unrecorded

    folder = tmp_path_factory.mktemp("pair-run")
    data = write_pairs(folder / "pairs.csv")
    summary = train_unrecorded(train_config(folder, data, tiny_model_dir, method="lora",
                                            max_steps=2))  # fmt: skip
    assert summary["status"] == "succeeded", summary.get("error")
    return Path(summary["adapter_path"])


@pytest.fixture(scope="module")
def predictor():
    predictor = Predictor(precision="fp32")
    yield predictor
    predictor.close()


# ----------------------------------------------------------------------------- command line
@pytest.mark.train
def test_the_command_line_takes_task_and_tells_the_detected_one(tmp_path, tiny_model_dir, capsys):
    from core.train import main

    data = write_pairs(tmp_path / "pairs.csv")
    common = ["--data", str(data), "--model", str(tiny_model_dir), "--method", "head_only",
              "--max-steps", "1", "--precision", "fp32", "--quiet"]  # fmt: skip
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    assert "task: pair (two text columns named sentence1 and sentence2)" in capsys.readouterr().err
    argv = [*common, "--out", str(tmp_path / "b"), "--task", "single_label",
            "--text-column", "sentence1"]  # fmt: skip
    assert main(argv) == 0
    assert "task: single_label (chosen: single_label)" in capsys.readouterr().err
    meta = json.loads((tmp_path / "b" / "adapter" / "ptune_adapter.json").read_text())
    assert meta["task"] == "single_label"


# ----------------------------------------------------------------------------- serve
def test_a_pair_body_is_read_as_pairs_and_checked():
    body = json.dumps({"texts": ["a", "b"], "text_pairs": ["c", "d"]}).encode()
    assert read_texts(body, 4, 50, pair=True) == [("a", "c"), ("b", "d")]
    with pytest.raises(BadRequest, match="this model classifies text pairs: send the second"):
        read_texts(json.dumps({"texts": ["a"]}).encode(), 4, 50, pair=True)
    with pytest.raises(BadRequest, match='"texts" has 2 and "text_pairs" 1; send one second'):
        read_texts(json.dumps({"texts": ["a", "b"], "text_pairs": ["c"]}).encode(), 4, 50, True)
    with pytest.raises(BadRequest, match=r"text_pairs\[0\] is a number, not a string"):
        read_texts(json.dumps({"texts": ["a"], "text_pairs": [3]}).encode(), 4, 50, pair=True)
    with pytest.raises(BadRequest, match='this model classifies single texts: send no "text_p'):
        read_texts(json.dumps({"texts": ["a"], "text_pairs": ["b"]}).encode(), 4, 50)


@pytest.mark.train
def test_the_server_answers_a_pair_model_in_its_own_shape(pair_run, predictor):
    with serving_model(pair_run, predictor) as (port, _):
        status, health = ask_server(port, "/health")
        assert status == 200 and health["task"] == "pair"
        body = {"texts": [a for a, _ in PAIRS], "text_pairs": [b for _, b in PAIRS]}
        status, data = ask_server(port, "/predict", body)
        assert status == 200
        expected = predictor.predict(PAIRS, [pair_run])[str(pair_run)]
        assert [p["label"] for p in data["predictions"]] == [e["label"] for e in expected]
        status, data = ask_server(port, "/predict", {"texts": ["only one"]})
        assert status == 400 and "this model classifies text pairs" in data["error"]


# ----------------------------------------------------------------------------- export
@pytest.mark.train
def test_the_exported_folder_predicts_the_same_with_the_pair_input(pair_run, predictor, tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from core.export import export_merged

    out = export_merged(pair_run, tmp_path / "merged")
    model = AutoModelForSequenceClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    batch = tokenizer([a for a, _ in PAIRS], [b for _, b in PAIRS], truncation=True,
                      padding=True, return_tensors="pt")  # fmt: skip
    assert (batch["token_type_ids"] == 1).any()
    with torch.no_grad():
        plain = model(**batch).logits.softmax(-1)
    ours = predictor.predict(PAIRS, [pair_run])[str(pair_run)]
    labels = [model.config.id2label[i] for i in range(plain.shape[1])]
    for row, got in zip(plain.tolist(), ours, strict=True):
        assert [got["probabilities"][name] for name in labels] == pytest.approx(row, abs=1e-4)
    card = (out / "README.md").read_text()
    assert "text pairs" in card and '["its second text"]' in card
