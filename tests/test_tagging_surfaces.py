"""Tagged words beyond training: a few-shot curve counts sentences, a merged export of a tagger
is a plain token classifier, and the task benchmark scores each dataset on the split it reports."""

from __future__ import annotations

import json

import pytest
from test_tagging_task import write_conll

from core.fewshot import ALL, FewShotConfig, run_fewshot
from storage.store import Store


@pytest.fixture(scope="module")
def conll(tmp_path_factory):
    return write_conll(tmp_path_factory.mktemp("conll-surfaces") / "data", sentences=40)


@pytest.mark.train
def test_a_few_shot_curve_of_a_tagger_counts_sentences(tmp_path, conll, tiny_model_dir):
    from core.config import TrainConfig

    base = TrainConfig(data=str(conll), model=str(tiny_model_dir), method="head_only",
                       batch_size=8, precision="fp32", eval_sample_rows=12)  # fmt: skip
    config = FewShotConfig(base=base, methods=("head_only",), shots=(4, 500, ALL), seeds=1,
                           steps=2)  # fmt: skip
    with Store(tmp_path / "studio.db") as store:
        outcome = run_fewshot(store, config)
    assert outcome["status"] == "succeeded", outcome.get("error")
    assert outcome["shots"] == [4, ALL]
    assert "left out 500 sentences: the training data has only 40" in outcome["notes"][0]
    assert [(e["shots"], e["runs"]) for e in outcome["curve"]] == [(4, 1), (ALL, 1)]
    assert all(0.0 <= e["f1_mean"] <= 1.0 for e in outcome["curve"])


@pytest.mark.train
def test_the_few_shot_command_line_trains_a_tagger_curve(tmp_path, conll, tiny_model_dir, capsys):
    import json

    from core.fewshot.cli import main

    code = main([
        "--db", str(tmp_path / "studio.db"), "--data", str(conll), "--model", str(tiny_model_dir),
        "--methods", "head_only", "--shots", "3,all", "--seeds", "1", "--steps", "2",
        "--precision", "fp32", "--quiet",
    ])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    line = json.loads(out.strip().splitlines()[-1])
    assert line["status"] == "succeeded"
    assert [(e["shots"], e["runs"]) for e in line["curve"]] == [(3, 1), (ALL, 1)]


@pytest.mark.train
@pytest.mark.parametrize("method", ["lora", "full", "head_only"])
def test_a_merged_tagger_is_a_plain_token_classifier_with_the_same_tags(
    method, tmp_path, conll, tiny_model_dir
):
    import torch
    from conftest import train_config
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from core.analysis.predict import Predictor
    from core.export import export_merged
    from core.runs import train_unrecorded

    config = train_config(tmp_path, conll, tiny_model_dir, method=method, max_steps=3)
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    out = export_merged(summary["adapter_path"], tmp_path / "merged")
    model = AutoModelForTokenClassification.from_pretrained(out).eval()
    tokenizer = AutoTokenizer.from_pretrained(out)
    sentences = [["Anna", "visited", "Paris", "."], ["John", "visited", "Rome", "."]]
    batch = tokenizer(sentences, is_split_into_words=True, truncation=True, padding=True,
                      return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        ids = model(**batch).logits.argmax(-1)
    plain = []
    for row, sentence in enumerate(sentences):
        firsts = {}
        for position, word in enumerate(batch.word_ids(row)):
            if word is not None and word not in firsts:
                firsts[word] = position
        plain.append(
            [model.config.id2label[int(ids[row, firsts[w]])] for w in range(len(sentence))]
        )
    predictor = Predictor(precision="fp32")
    try:
        rows = predictor.predict(sentences, [summary["adapter_path"]])[summary["adapter_path"]]
    finally:
        predictor.close()
    assert plain == [row["tags"] for row in rows]
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "AutoModelForTokenClassification" in card and "is_split_into_words=True" in card
    code = card.split("```python\n")[1].split("```")[0].replace("THIS_FOLDER", str(out))
    namespace: dict = {}
    exec(code.replace('["Anna", "visited", "Paris"]', repr(sentences[0])), namespace)
    assert namespace["tags"] == rows[0]["tags"]  # the README's own code tags the same


@pytest.mark.train
def test_a_prompt_tagger_is_refused_as_today(tmp_path, conll, tiny_model_dir):
    from conftest import train_config

    from core.errors import ExportError
    from core.export import export_merged
    from core.runs import train_unrecorded

    summary = train_unrecorded(
        train_config(tmp_path, conll, tiny_model_dir, method="ptuning_v2", max_steps=2)
    )
    with pytest.raises(ExportError, match="cannot be merged into a plain model"):
        export_merged(summary["adapter_path"], tmp_path / "merged")


@pytest.mark.train
def test_the_task_benchmark_scores_each_dataset_on_its_reported_split(tmp_path, tiny_model_dir):
    from conftest import shared_path

    from bench.tasks import BENCHES, kind, main

    shared = shared_path("conll2003").parent
    code = main([
        "--tasks", "conll2003,stsb", "--methods", "head_only", "--budget-minutes", "0.2",
        "--max-steps", "2", "--shared", str(shared), "--model", str(tiny_model_dir),
        "--max-train-rows", "32", "--runs", str(tmp_path / "runs"),
        "--out", str(tmp_path / "report.md"), "--results", str(tmp_path / "runs.jsonl"),
    ])  # fmt: skip
    assert code == 0
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## Task types on real data, 0.2 minutes per run" in report
    assert "| method | kind | dev entity F1 | test entity F1 |" in report
    assert "| method | kind | dev Pearson | dev Spearman | dev MAE |" in report
    rows = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [(r["bench"], r["status"]) for r in rows] == [
        ("conll2003", "succeeded"), ("stsb", "succeeded")]  # fmt: skip
    # STS-B's dev file is the reported split: it is read as the test split, never validated on
    links = tmp_path / "runs" / "data" / "stsb"
    assert (links / "test.tsv").resolve() == (shared / "stsb" / "dev.tsv").resolve()
    assert not (links / "dev.tsv").exists() and -1 <= rows[1]["test_pearson"] <= 1
    assert 0.0 <= rows[0]["test_f1"] <= 1.0 and set(BENCHES) >= {"rte", "goemotions"}
    assert kind("ptuning_v2") == "deep prompts" and kind("prompt_tuning") == "shallow prompt"
    assert kind("full") == "whole model" and main(["--methods", "nope"]) == 2
    assert main(["--tasks", "rte", "--shared", str(tmp_path / "none")]) == 2
