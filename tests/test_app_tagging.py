"""Tagged words in the app: the Train tab previews a CoNLL or JSON lines dataset as tagging with
the reason, /check summarises it, Try it highlights entities, the API answers words and tags."""

from __future__ import annotations

import json
from pathlib import Path

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


@pytest.fixture()
def tag_run(state, tiny_model_dir, conll_app) -> int:
    from core import runs
    from core.config import TrainConfig

    config = TrainConfig(data=str(conll_app), model=str(tiny_model_dir), method="full",
                         batch_size=16, max_steps=30, lr=5e-3, precision="fp32")  # fmt: skip
    handle = runs.start(state.store, config)
    summary = handle.wait(300)
    assert summary["status"] == "succeeded", summary.get("error")
    return handle.run_id


def test_highlights_colour_each_runs_entities_by_type():
    from app.tabs.tryit.tagged import batch_cells, highlights, table_row

    row = {"run": "#1 a", "words": ["Anna", "saw", "Rome"], "tags": ["B-PER", "O", "B-LOC"],
           "entities": [{"type": "PER", "start": 0, "end": 0, "text": "Anna"},
                        {"type": "LOC", "start": 2, "end": 2, "text": "Rome"}]}  # fmt: skip
    other = {"run": "#2 b", "label": "pos", "score": 0.5}
    assert highlights([row, other, {**row, "run": "#3 c"}]) == [
        ("#1 a:", None), ("Anna", "PER"), ("saw", None), ("Rome", "LOC"), ("\n", None),
        ("#3 c:", None), ("Anna", "PER"), ("saw", None), ("Rome", "LOC"),
    ]  # fmt: skip
    assert highlights([other]) == []
    assert table_row(row) == ["#1 a", "PER: Anna; LOC: Rome", ""]
    assert batch_cells(row)[2] == "B-PER O B-LOC" and batch_cells(other)[:2] == ["pos", "0.500000"]


@pytest.mark.train
def test_try_it_and_the_api_tag_a_sentence(state, tag_run, tmp_path):
    import csv

    from app.server.api import predict
    from app.tabs.tryit.predict import judge_text, predict_file
    from core.errors import InputError

    table, _chart, pieces = judge_text(state, "Maria visited Rome .", [tag_run])
    assert len(table) == 1 and table.iloc[0, 1] == "PER: Maria; LOC: Rome"
    assert pieces[1:] == [("Maria", "PER"), ("visited", None), ("Rome", "LOC"), (".", None)]
    assert judge_text(state, "Maria visited Rome .", [tag_run], "for pair runs")[2] == pieces
    with pytest.raises(InputError, match="the text is empty"):
        predict(state, "  ", [tag_run])
    (row,) = predict(state, "Anna visited Paris .", [tag_run])
    assert row["words"] == ["Anna", "visited", "Paris", "."] and row["run_id"] == tag_run
    assert row["tags"] == ["B-PER", "O", "B-LOC", "O"]
    assert [(e["type"], e["text"]) for e in row["entities"]] == [("PER", "Anna"), ("LOC", "Paris")]
    batch = tmp_path / "sentences.txt"
    batch.write_text("Anna visited Paris .\nJohn visited Berlin .\n", encoding="utf-8")
    with open(predict_file(state, str(batch), [tag_run]), encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["text", "run_id", "run", "label", "score", "tags", "entities"]
    assert rows[2][5] == "B-PER O B-LOC O" and '"Berlin"' in rows[2][6]


@pytest.mark.train
def test_the_diagnosis_of_a_tagger_lists_entity_scores_and_mistakes(state, tag_run):
    from app.tabs.monitor.diagnose import confusion_plot, disagreement_rows, error_rows
    from app.tabs.monitor.diagnose_view import diagnose
    from core.analysis.tag_mistakes import TaggedPredictions, mistake_rows, type_scores

    summary, _figure, types, _t, _p, table, csv_path, _note, _why, shown = diagnose(
        state, tag_run, False
    )
    assert "12 of 12 validation sentences, entity F1" in summary and shown == tag_run
    assert list(types.iloc[:, 0]) == ["LOC", "PER", "all entities"]
    assert list(table.columns) == ["Sentence", "Text", "Missed", "Spurious"]
    assert Path(csv_path).exists() and error_rows(state, tag_run)[0].shape == table.shape
    assert not confusion_plot(state, tag_run, True).data
    assert "Disagreements are listed" in disagreement_rows(state, tag_run, tag_run + 1)[1]
    preds = TaggedPredictions(1, "r", [["Peter", "Blackburn", "left"]],
                              [["B-PER", "I-PER", "O"]], [["B-PER", "O", "O"]], 1)  # fmt: skip
    assert mistake_rows(preds) == [{"row": 0, "text": "Peter Blackburn left",
                                    "missed": ["PER: Peter Blackburn"],
                                    "spurious": ["PER: Peter"]}]  # fmt: skip
    assert type_scores(preds)[-1]["f1"] == 0.0 and type_scores(preds)[0]["type"] == "PER"


@pytest.mark.train
def test_compare_refuses_another_tasks_data_and_scores_taggers_by_entity_f1(
    state, tag_run, tmp_path_factory, reviews
):
    from core.analysis.compare import compare_row, evaluate_transfer
    from core.errors import DataError

    predictor = state.predictor()
    with pytest.raises(DataError, match=r"was trained on tagging data, and .* holds single_label"):
        evaluate_transfer(state.store, tag_run, reviews, predictor=predictor)
    other = write_conll(tmp_path_factory.getbasetemp() / "conll-other", seed=3)
    result = evaluate_transfer(state.store, tag_run, other, predictor=predictor)
    assert result["split"] == "validation" and result["rows"] == 12
    assert result["macro_f1"] > 0.9 and result["accuracy"] > 0.9
    assert compare_row(state.store, tag_run)["dev_f1"] > 0.9
    odd = write_conll(tmp_path_factory.getbasetemp() / "conll-odd", seed=4)
    for name in ("train.txt", "dev.txt"):
        path = odd / name
        path.write_text(path.read_text(encoding="utf-8").replace("B-LOC", "B-ORG"), "utf-8")
    with pytest.raises(DataError, match="the tagger knows the tags O, B-LOC, B-PER, but the "):
        evaluate_transfer(state.store, tag_run, odd, predictor=predictor)


@pytest.mark.train
def test_the_few_shot_tab_draws_a_taggers_curve_in_sentences(state, conll_app, tiny_model_dir):
    from test_app_fewshot import form, wait_ended

    from app.tabs.fewshot.form import start

    values = form(data=str(conll_app), model=str(tiny_model_dir), methods=["head_only"],
                  shots="3,500,all", seeds=1, steps=2)  # fmt: skip
    message, experiment_id = start(state, values)
    assert message.startswith(f"Few-shot experiment #{experiment_id} started")
    outcome = wait_ended(state, experiment_id)
    assert outcome["status"] == "succeeded", outcome
    assert outcome["shots"] == [3, "all"] and "left out 500 sentences" in outcome["notes"][0]
