"""The Train tab takes every task type's data as a person brings it: a CoNLL file uploaded and
trained as tagged words (a .txt that is not one refused with what it needs), several labels per
text in each of their forms, a score when the task is chosen, and the task picker by title."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import shared_path
from multilabel_data import write_binary, write_ids, write_joined, write_lists
from test_tagging_task import write_conll

from app.i18n import EN, text
from app.i18n.tasks_text import TASK_TITLES_ZH
from app.shared import confine, estimate
from app.shared.datasets import preview
from app.shared.state import AppState, dataset_choices, find_datasets, save_upload
from app.tabs.train.logic import check_form
from app.tabs.train.view import show_dataset, task_choices
from core.data.files import DATASET_EXTENSIONS, conll_only
from core.data.loading import load_data
from core.data.reading import SUPPORTED_EXTENSIONS
from core.errors import DataError, InputError
from core.tasks import TASK_CHOICES
from core.tasks.tagging import CONLL_EXTENSIONS
from storage.store import Store

MOOD_COUNTS = {"happy": 48, "movie": 48, "sad": 48}
"""Rows per label of the 96 rows of :mod:`multilabel_data` (each label on every other row)."""


def conll_file(folder: Path, name: str = "ner.conll") -> Path:
    """One CoNLL file of 60 sentences ('<person> visited <place> .') named ``name``."""
    source = write_conll(folder, dev=False) / "train.txt"
    return source.rename(folder / name)


def train_form(data: str, model: str, **values) -> dict:
    return {"data": data, "model": model, "method": "head_only", "cfg_max_steps": "2",
            "cfg_batch_size": 16, "cfg_precision": "fp32", **values}  # fmt: skip


# ----------------------------------------------------------------------------- CoNLL files
def test_the_upload_button_takes_every_file_the_engine_reads(tmp_path):
    from gradio_client.utils import is_valid_file

    from app import create_app

    demo = create_app(db=tmp_path / "studio.db")
    blocks = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
    assert blocks["train-upload"].file_types == list(DATASET_EXTENSIONS)
    assert set(SUPPORTED_EXTENSIONS) | set(CONLL_EXTENSIONS) == set(DATASET_EXTENSIONS)
    for name in ("ner.txt", "ner.conll", "ner.iob", "ner.bio", "films.csv", "films.parquet"):
        assert is_valid_file(name, blocks["train-upload"].file_types)
    assert ("A score (regression)", "regression") in blocks["train-task"].choices
    for suffix in filter(conll_only, (Path(f"x{s}") for s in CONLL_EXTENSIONS)):
        assert suffix.suffix in EN["train_dataset_info"]  # the help names each CoNLL name


def test_an_uploaded_conll_file_previews_as_tagged_words_and_checks(
    state, tmp_path, tiny_model_dir
):
    saved = save_upload(state, conll_file(tmp_path / "picked"))
    assert ("Uploaded: ner.conll", saved) in dataset_choices(state)
    table, _chart, text_col, _label, pair, summary = show_dataset(state, saved)
    assert list(table.columns) == ["words", "tags"] and text_col["choices"] == []
    assert "60 sentences, 3 tags: O, B-LOC, B-PER. Entities: LOC (60), PER (60)." in summary
    assert "**Tagged words (entities)**. Task: **tagging** (every line of ner.conll" in summary
    message, command, _yaml = check_form(state, train_form(saved, str(tiny_model_dir)))
    assert "trainable parameters" in message and f"--data {saved}" in command


@pytest.mark.train
def test_an_uploaded_conll_file_trains_from_the_train_tab(state, tmp_path, tiny_model_dir):
    from app.tabs.train.logic import start_training
    from core.training import jobs

    saved = save_upload(state, conll_file(tmp_path / "picked", "ner.txt"))
    _plan, status, run_id = start_training(state, train_form(saved, str(tiny_model_dir)))
    assert "started" in status or "queue" in status
    active = jobs.current()
    while active is not None and active.run is not None and active.run.run_id <= run_id:
        active.run.wait(120)
        active = jobs.current()
    run = state.store.get_run(run_id)
    assert run["status"] == "succeeded", run.get("error")
    assert run["metrics"]["task"] == "tagging"


def test_a_txt_file_that_is_not_conll_is_refused_with_what_it_needs(state, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Buy milk\nCall Anna about the film\n", encoding="utf-8")
    needs = r"A \.txt file needs one word and its tag per line \(e\.g\. 'Paris B-LOC'\)"
    line = r"notes\.txt is not a CoNLL file of tagged words: line 1 of notes\.txt does not end"
    with pytest.raises(InputError, match=line + r".*" + needs):
        save_upload(state, notes)
    assert not state.upload_dir.exists() or not list(state.upload_dir.iterdir())
    untagged = state.data_dir / "untagged.bio"
    untagged.write_text("Anna O\nleft O\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"no entity tags \(B-, I-, \.\.\.\) in untagged\.bio"):
        show_dataset(state, str(untagged))
    folder = state.data_dir / "diary"
    folder.mkdir(exist_ok=True)
    shutil.copy(notes, folder / "train.txt")
    with pytest.raises(DataError, match=r"train\.txt is not a CoNLL file of tagged words"):
        preview(state, str(folder))


def test_the_data_folder_lists_conll_datasets_but_not_other_text_files(tmp_path):
    conll = write_conll(tmp_path / "ner")
    single = conll_file(tmp_path / "single", "people.iob")
    (tmp_path / "readme.txt").write_text("What is in this folder\n", encoding="utf-8")
    found = [path for _label, path in find_datasets(tmp_path)]
    assert found == [str(conll), str(single)]


def test_a_conll_file_in_a_served_folder_that_leads_outside_is_refused(tmp_path):
    outside = conll_file(tmp_path / "private", "secret.txt")
    folder = tmp_path / "data" / "ner"
    folder.mkdir(parents=True)
    os.symlink(outside, folder / "train.txt")
    served = AppState(store=Store(tmp_path / "home" / "studio.db"), data_dir=tmp_path / "data")
    refusal = confine.data_refusal(served, str(folder))
    assert refusal is not None and "train.txt is outside the folders" in str(refusal)


def test_the_estimate_counts_a_rows_words_not_its_tuple():
    words = estimate.mean_tokens(None, [("a", "fine", "film")] * 3, 128)
    assert words == estimate.mean_tokens(None, ["a fine film"] * 3, 128)


# ----------------------------------------------------------------------------- several labels
@pytest.mark.parametrize(
    ("write", "name", "reason"),
    [
        (write_lists, "moods.jsonl", "the label column 'labels' holds lists of labels"),
        (write_joined, "moods.csv", "the label column 'labels' holds several labels per row, "
                                    "joined as in '"),
        (write_ids, "goemotions-like", "the label column 'label' holds several labels per row, "
                                       "joined as in '0,"),
        (write_binary, "one-per-label.csv", "3 columns of 0/1 values, one per label: happy, sad, "
                                            "movie"),
    ],
    ids=["lists", "joined", "ids-with-names", "one-0/1-column-per-label"],
)  # fmt: skip
def test_the_preview_tells_several_labels_per_text_in_each_form(state, write, name, reason):
    data = write(state.data_dir / "forms" / name)
    table, _chart, text_col, label, _pair, summary = show_dataset(state, str(data))
    assert "**Several labels per text**. Task: **multi_label** (" + reason in summary
    assert "96 rows, 3 labels: happy, movie, sad." in summary and text_col["value"] == "text"
    assert preview(state, str(data)).label_counts == MOOD_COUNTS
    assert not any(isinstance(cell, list) for cell in table.to_numpy().ravel())
    assert load_data(data).task == "multi_label"  # what training reads, too


def test_the_preview_shows_the_0_1_columns_as_the_labels(state):
    data = write_binary(state.data_dir / "forms" / "binary.csv")
    view = preview(state, str(data))
    assert (view.label_columns, view.label_column) == (["happy", "sad", "movie"], None)
    _table, chart, _text, label, _pair, summary = show_dataset(state, str(data))
    assert label["value"] is None and label["choices"] == ["text", "happy", "sad", "movie"]
    assert "Text column `text`; each label is a column of 0/1 values." in summary
    assert sorted(chart.data[0].x) == ["happy", "movie", "sad"]
    assert load_data(data).label_names == sorted(MOOD_COUNTS)
    chosen = show_dataset(state, str(data), task="single_label")[-1]
    assert "Task: **single_label** (chosen: single_label)." in chosen


# ----------------------------------------------------------------------------- a score
def test_choosing_a_score_shows_the_score_column_of_sts_b(tmp_path):
    stsb = shared_path("stsb")
    served = AppState(store=Store(tmp_path / "studio.db"), data_dir=stsb)
    assert ("A score (regression)", "regression") in task_choices("en")
    assert ("分数（回归）", "regression") in task_choices("zh")
    table, chart, text_col, label, pair, summary = show_dataset(
        served, str(stsb), task="regression"
    )
    assert (text_col["value"], label["value"], pair["value"]) == ("sentence1", "score", "sentence2")
    assert "5,749 rows. Text column `sentence1`, score column `score`: from 0 to 5." in summary
    assert "**A score (regression)**. Task: **regression** (chosen: regression" in summary
    assert "score" in table.columns and list(chart.data[0].x) == []


def test_every_task_has_a_title_in_each_language():
    assert set(TASK_TITLES_ZH) == set(TASK_CHOICES)
    for lang in ("en", "zh"):
        titles = [title for title, _name in task_choices(lang)]
        assert len(set(titles)) == len(TASK_CHOICES) and all(titles)
    assert text("task_pair", "en") == "Text pairs"


def test_a_task_of_one_text_clears_the_second_text_column(state):
    from test_pairs import write_pairs

    data = write_pairs(state.data_dir / "pairs-for-one.csv")
    *_, pair, summary = show_dataset(state, str(data), "sentence1", task="single_label",
                                     text_pair_column="sentence2")  # fmt: skip
    assert pair["value"] == "" and "Task: **single_label** (chosen: single_label)." in summary
    *_, pair, summary = show_dataset(state, str(data), "sentence1", task="regression",
                                     text_pair_column="sentence2")  # fmt: skip
    assert pair["value"] == "sentence2" and "second text column given: sentence2" in summary
