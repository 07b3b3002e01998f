"""The tagging task: detected from CoNLL files, loaded as sentences, trained with every method
on a token classifier, scored entity by entity, and predicted as words, tags and entities."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from conftest import ask_server, serving_model, shared_path, tiny_config, train_config

from core.data.loading import load_data
from core.errors import DataError, InputError
from core.methods import METHODS
from core.tasks import TASKS, detect_source, get_task
from core.training.tagging_eval import real_positions, tagging_metrics, token_labels, token_loss

PEOPLE = ["Peter", "Anna", "John", "Maria"]
PLACES = ["Paris", "Berlin", "Rome", "Madrid"]


def write_conll(folder: Path, sentences: int = 60, seed: int = 0, dev: bool = True) -> Path:
    """A folder of CoNLL files (``word POS tag``): '<person> visited <place> .'."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)

    def text(count: int) -> str:
        lines = ["-DOCSTART- -X- O", ""]
        for _ in range(count):
            person, place = rng.choice(PEOPLE), rng.choice(PLACES)
            lines += [f"{person} NNP B-PER", "visited VBD O", f"{place} NNP B-LOC", ". . O", ""]
        return "\n".join(lines)

    (folder / "train.txt").write_text(text(sentences), encoding="utf-8")
    if dev:
        (folder / "dev.txt").write_text(text(12), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def conll(tmp_path_factory) -> Path:
    return write_conll(tmp_path_factory.mktemp("conll") / "data")


# ----------------------------------------------------------------------------- detection
def test_a_conll_file_or_folder_is_tagging_with_the_reason(conll, tmp_path):
    for source in (conll, conll / "train.txt"):
        found = detect_source(source)
        assert found is not None and found.task == "tagging"
        assert "IOB tag" in str(found.reason)
    table = tmp_path / "t.csv"
    table.write_text("text,label\na,b\n", encoding="utf-8")
    assert detect_source(table) is None
    assert detect_source("glue:sst2") is None
    assert detect_source(table, "tagging").reason == "chosen: tagging"


def test_a_conll_folder_loads_as_sentences_with_tag_names(conll):
    bundle = load_data(conll)
    assert bundle.task == "tagging" and "IOB" in bundle.task_reason
    assert bundle.label_names == ["O", "B-LOC", "B-PER"]
    assert len(bundle.train) == 60 and len(bundle.validation) == 12
    words, tags = bundle.train.texts[0], bundle.train.labels[0]
    assert len(words) == len(tags) == 4 and words[1] == "visited"
    summary = bundle.summary()
    assert summary["splits"]["train"]["label_counts"]["B-PER"] == 60
    assert len(bundle.digest(bundle.validation)) == 64


def test_one_file_holds_out_validation_and_few_shot_counts_sentences(conll):
    bundle = load_data(conll / "train.txt", validation_fraction=0.2, shots_per_class=5)
    assert len(bundle.train) == 5 and len(bundle.validation) == 12
    assert any("5 sentences" in note for note in bundle.warnings)
    with pytest.raises(DataError, match="a few-shot sample of 500 sentences needs"):
        load_data(conll, shots_per_class=500)


def test_bad_tagged_files_are_refused_with_their_place(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "train.txt").write_text("EU B-ORG\nrejects\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: 'rejects' has one column"):
        load_data(folder, task="tagging")
    (folder / "train.txt").write_text("EU ORG\nrejects O\n", encoding="utf-8")
    with pytest.raises(DataError, match="tag 'ORG' is not an IOB tag"):
        load_data(folder, task="tagging")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "dev.txt").write_text("EU B-ORG\n", encoding="utf-8")
    with pytest.raises(DataError, match="no training file of tagged words in folder"):
        load_data(empty, task="tagging")


def test_a_dev_tag_unknown_to_train_is_named(conll, tmp_path):
    folder = write_conll(tmp_path / "d", 20, dev=False)
    (folder / "dev.txt").write_text("Acme B-ORG\nrose O\n", encoding="utf-8")
    with pytest.raises(DataError, match="tag 'B-ORG' is not among the training data's tags"):
        load_data(folder)


def test_sentences_for_prediction_are_word_lists():
    task = get_task("tagging")
    assert task.rows(["Peter visited Paris", ("Anna", "left")]) == [
        ["Peter", "visited", "Paris"],
        ["Anna", "left"],
    ]
    assert task.row({"words": ["a", "b"]}) == ["a", "b"]
    with pytest.raises(InputError, match="this run tags words: give a sentence as 'words'"):
        task.rows([123])
    with pytest.raises(InputError, match="a sentence to tag has no words"):
        task.row({"text": "   "})


def test_only_the_tagger_tags_words_and_callers_ask_the_task_not_its_name():
    assert [task.name for task in TASKS.values() if task.tags_words] == ["tagging"]
    root = Path(__file__).resolve().parents[1]
    for path in ("core/analysis/predict.py", "core/analysis/compare.py", "core/export.py",
                 "core/tag_export.py", "app/shared/actions.py"):  # fmt: skip
        source = (root / path).read_text(encoding="utf-8")
        assert '"tagging"' not in source and '("words",)' not in source, path


# ----------------------------------------------------------------------------- alignment
def test_labels_are_padded_with_ignore():
    labels = token_labels([[-100, 2, 0, -100], [-100, 1, -100]], [1, 0], 5)
    assert labels.tolist() == [[-100, 1, -100, -100, -100], [-100, 2, 0, -100, -100]]


@pytest.mark.parametrize("method", ["prompt_tuning", "ptuning_v1"])
def test_prompt_methods_are_read_at_the_real_tokens_positions(method):
    """A prompt method's logits start with its virtual tokens: the real tokens' logits are
    the last ones, exactly those the base model gives after the prompt."""
    from transformers import AutoModelForTokenClassification

    from core.methods import get_method

    torch.manual_seed(0)
    base = AutoModelForTokenClassification.from_config(tiny_config("bert", 3))
    chosen = get_method(method)
    settings = chosen.config_cls(num_virtual_tokens=4)
    model = chosen.wrap(base, settings).eval()
    ids = torch.tensor([[101, 3185, 2204, 102]])
    mask = torch.ones_like(ids)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
        assert logits.shape[1] == 4 + 4  # peft keeps the virtual positions in the logits
        prompt = model.get_prompt(batch_size=1)
        embeds = torch.cat([prompt, model.word_embeddings(ids)], dim=1)
        full = base(inputs_embeds=embeds, attention_mask=torch.ones(1, 8)).logits
    real = real_positions(logits, ids.shape[1])
    assert torch.allclose(real, full[:, 4:], atol=1e-5)
    assert not torch.allclose(real, full[:, :4], atol=1e-3)  # off by the prompt: differs
    labels = torch.tensor([[-100, 1, 2, -100]])
    assert torch.allclose(token_loss(logits, labels), token_loss(full[:, 4:], labels))


def test_metrics_are_entity_level():
    names = ["O", "B-PER", "I-PER"]
    # "Peter Blackburn" predicted as "Peter" only: one missed entity, one spurious
    metrics = tagging_metrics([[0, 1, 0, 0]], [[1, 2]], [[1, 2]], names, 0.5)
    assert metrics["eval_f1"] == 0.0 and metrics["eval_accuracy"] == 0.5
    metrics = tagging_metrics([[0, 1, 2, 0]], [[1, 2]], [[1, 2]], names, 0.5, "test")
    assert metrics["test_f1"] == 1.0 and metrics["test_loss"] == 0.5


# ----------------------------------------------------------------------------- training
@pytest.mark.train
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_trains_a_tagger_and_predicts_entities(
    method, conll, tmp_path, tiny_model_dir
):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded
    from core.training.artifacts import read_meta

    config = train_config(tmp_path, conll, tiny_model_dir, method=method, max_steps=2)
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["task"] == "tagging"
    assert 0.0 <= summary["eval_f1"] <= 1.0 and "eval_precision" in summary
    adapter = Path(summary["adapter_path"])
    assert read_meta(adapter)["task"] == "tagging"
    predictor = Predictor(precision="fp32")
    try:
        rows = predictor.predict([["Peter", "visited", "Paris", "."]], [adapter])[str(adapter)]
        assert rows[0]["words"] == ["Peter", "visited", "Paris", "."]
        assert len(rows[0]["tags"]) == 4 and set(rows[0]["tags"]) <= {"O", "B-LOC", "B-PER"}
        for entity in rows[0]["entities"]:
            assert entity["type"] in {"LOC", "PER"} and 0 <= entity["start"] <= entity["end"] < 4
        with pytest.raises(InputError, match="a sentence to tag has no words"):
            predictor.predict(["   "], [adapter])
    finally:
        predictor.close()


@pytest.mark.train
def test_a_tagger_learns_the_entities(conll, tmp_path, tiny_model_dir):
    from core.analysis.predict import Predictor
    from core.runs import train_unrecorded

    config = train_config(tmp_path, conll, tiny_model_dir, method="full", max_steps=40, lr=5e-3)
    summary = train_unrecorded(config)
    assert summary["eval_f1"] > 0.9, summary
    predictor = Predictor(precision="fp32")
    try:
        row = predictor.predict(["Maria visited Rome ."], [summary["adapter_path"]])
        entities = row[summary["adapter_path"]][0]["entities"]
        assert [(e["type"], e["text"]) for e in entities] == [("PER", "Maria"), ("LOC", "Rome")]
    finally:
        predictor.close()


@pytest.mark.train
def test_conll2003_slice_trains_and_scores_entities_on_dev(tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded

    folder = shared_path("conll2003")
    config = train_config(
        tmp_path, folder, tiny_model_dir, method="lora", max_steps=3, max_train_rows=64,
        eval_sample_rows=32,
    )  # fmt: skip
    summary = train_unrecorded(config)
    assert summary["status"] == "succeeded", summary.get("error")
    assert summary["task"] == "tagging"
    assert summary["label_names"][0] == "O" and "B-PER" in summary["label_names"]
    assert 0.0 <= summary["eval_f1"] <= 1.0 and summary["eval_loss"] > 0


@pytest.mark.train
def test_a_served_tagger_answers_words_tags_and_entities(conll, tmp_path, tiny_model_dir):
    from core.runs import train_unrecorded

    summary = train_unrecorded(train_config(tmp_path, conll, tiny_model_dir, max_steps=2))
    with serving_model(summary["adapter_path"]) as (port, _):
        assert ask_server(port, "/health")[1]["task"] == "tagging"
        status, answer = ask_server(port, "/predict", {"texts": ["Anna visited Berlin ."]})
        assert status == 200, answer
        row = answer["predictions"][0]
        assert row["words"] == ["Anna", "visited", "Berlin", "."] and len(row["tags"]) == 4
        assert isinstance(row["entities"], list)


def test_a_txt_file_that_is_not_tagged_words_is_named_as_such(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("I liked this film a lot\nIt was long\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"notes\.txt is not a CoNLL file of tagged words: .*one "
                       r"word and its tag per line"):  # fmt: skip
        load_data(notes)
    with pytest.raises(DataError, match="file or folder not found"):
        load_data(tmp_path / "missing.txt")
