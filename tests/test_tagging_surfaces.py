"""Tagged words beyond training: a few-shot curve counts sentences, a merged export of a tagger
is a plain token classifier, and the CoNLL-2003 benchmark runs within its budget."""

from __future__ import annotations

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
