"""A model that does not read the data's language: the unknown-token share, the script, the
suggested models, the warning in the Train tab, the HTTP ``/check`` and the command line; and
dataset folders holding one data file under another name."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pandas as pd
import pytest

from app.server.api import check
from app.shared.datasets import preview, train_file
from app.shared.language_note import report_text
from app.tabs.train.view import show_dataset
from core.data.language import (
    MULTILINGUAL,
    LanguageReport,
    measure,
    model_unread,
    script_of,
    suggestions,
    unread,
)
from core.data.loading import load_data
from core.errors import DataError
from core.modeling import load_tokenizer
from tests.conftest import shared_path, write_reviews

CHINESE = [
    "酒店的位置很好，房间干净，服务员也很热情。",
    "早餐种类太少，而且房间隔音很差，晚上睡不好。",
    "交通方便，离地铁站很近，下次还会再来住。",
    "前台态度冷淡，办理入住等了很久，非常失望。",
]
ENGLISH = ["the film was a warm and funny story", "a dull plot and terrible acting"]


def write_chinese(path: Path, rows: int = 60) -> Path:
    """A labelled CSV of Chinese hotel-review sentences (label by the sentence's tone)."""
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "review"])
        for i in range(rows):
            label = i % 2
            sentence = CHINESE[rng.choice((0, 2))] if label else CHINESE[rng.choice((1, 3))]
            writer.writerow([label, sentence])
    return path


def byte_level_tokenizer():
    """A tiny byte-level BPE tokenizer (as RoBERTa's) trained on English words only."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<pad>", "<s>", "</s>"],
    )  # fmt: skip
    backend.train_from_iterator(ENGLISH * 20, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>")


# ----------------------------------------------------------------------------- the measure
def test_a_wordpiece_tokenizer_of_english_does_not_know_chinese():
    tokenizer = load_tokenizer(None)  # the built-in MiniLM WordPiece tokenizer
    chinese = measure(tokenizer, CHINESE, "mini")
    english = measure(tokenizer, ENGLISH, "mini")
    assert chinese.share > 0.3 and not chinese.bytes_only
    assert english.share < 0.05
    assert unread(tokenizer, CHINESE, 0.1, "mini") == chinese
    assert unread(tokenizer, ENGLISH, 0.1, "mini") is None
    assert unread(tokenizer, CHINESE, 1.0, "mini") is None  # 1 turns the warning off


def test_byte_level_pieces_count_as_unknown():
    tokenizer = byte_level_tokenizer()
    assert tokenizer.unk_token_id is None  # it never says [UNK]
    chinese = measure(tokenizer, CHINESE, "bytes")
    assert chinese.bytes_only and chinese.share > 0.9
    assert measure(tokenizer, ENGLISH, "bytes").share == 0


def test_the_sample_is_bounded_and_skips_empty_texts():
    tokenizer = load_tokenizer(None)
    report = measure(tokenizer, ["", "  "] + ["word " * 5000] * 500, "mini")
    assert report.rows == 198  # of the first 200 texts, the two empty ones are left out
    assert report.tokens == 198 * 400  # each text cut to 2,000 characters: 400 words
    assert measure(tokenizer, [], "mini").tokens == 0


# ----------------------------------------------------------------------------- scripts
@pytest.mark.parametrize(
    ("texts", "script"),
    [
        (CHINESE, "chinese"),
        (["ホテルの部屋はとても綺麗でした。", "朝食がおいしかったです。"], "japanese"),
        (["호텔 방이 아주 깨끗했어요."], "korean"),
        (["Отель очень хороший, номер чистый."], "cyrillic"),
        (["الفندق جميل جدا والغرفة نظيفة"], "arabic"),
        (["होटल बहुत अच्छा था"], "devanagari"),
        (["Το ξενοδοχείο ήταν πολύ καλό"], "greek"),
        (["המלון היה נקי מאוד"], "hebrew"),
        (["โรงแรมสะอาดมาก"], "thai"),
        (["l'hôtel était très propre"], "latin"),
        (["বাংলা লেখা"], "bengali"),
        (["12345 !!! 678"], None),
        # a few Japanese loanwords in Chinese text do not make it Japanese
        (["酒店的位置很好房间干净服务员也很热情テ"], "chinese"),
    ],
)
def test_the_script_is_told_from_the_letters(texts, script):
    assert script_of(texts) == script


def test_suggestions_fit_the_language():
    chinese = suggestions("chinese")
    assert chinese[:2] == ["bert-base-chinese", "hfl/chinese-roberta-wwm-ext"]
    assert chinese[-len(MULTILINGUAL) :] == list(MULTILINGUAL)
    assert "cointegrated/rubert-tiny2" in suggestions("cyrillic")
    assert suggestions("latin") == list(MULTILINGUAL)  # the script does not tell the language
    assert suggestions("bengali") == list(MULTILINGUAL)
    assert "xlm-roberta-base" in MULTILINGUAL


# ----------------------------------------------------------------------------- the warning
def report(bytes_only: bool = False) -> LanguageReport:
    return LanguageReport("all-MiniLM-L6-v2", 200, 1000, 650, bytes_only, "chinese")


def test_the_warning_in_english_and_chinese():
    english = report_text(report(), "en")
    assert "**65%**" in english and "`all-MiniLM-L6-v2`" in english
    assert "Chinese text" in english and "`bert-base-chinese`" in english
    assert "unknown to the tokenizer" in english
    chinese = report_text(report(), "zh")
    assert "**65%**" in chinese and "中文" in chinese and "`hfl/chinese-roberta-wwm-ext`" in chinese
    assert "不认识" in chinese
    assert "only as bytes" in report_text(report(bytes_only=True), "en")
    assert "字节" in report_text(report(bytes_only=True), "zh")
    plain = report().message()  # the command line's and the API's
    assert plain.startswith("65% of the tokens in the first 200 training texts")
    assert "Chinese" in plain and "xlm-roberta-base" in plain


def test_the_train_tab_preview_warns_in_the_apps_language(state, tmp_path, tiny_model_dir):
    data = write_chinese(tmp_path / "hotel.csv")
    info = show_dataset(state, str(data), model=str(tiny_model_dir))[-1]
    assert "⚠️" in info and "Chinese text" in info and "`bert-base-chinese`" in info
    assert "⚠️" not in show_dataset(state, str(data), model=str(tiny_model_dir), threshold=1)[-1]
    english = write_reviews(tmp_path / "reviews.csv")
    assert "⚠️" not in show_dataset(state, str(english), model=str(tiny_model_dir))[-1]
    state.lang = "zh"
    assert "中文文本" in show_dataset(state, str(data), model=str(tiny_model_dir))[-1]


def test_a_model_folder_the_app_does_not_serve_gets_no_language_note(state, tmp_path):
    data = write_chinese(tmp_path / "hotel.csv")
    outside = Path("/") / "nowhere-served" / "model"
    info = show_dataset(state, str(data), model=str(outside))[-1]
    assert "⚠️" not in info  # the model line says why the model cannot be used


def test_check_warns_without_refusing(state, tmp_path, tiny_model_dir):
    data = write_chinese(tmp_path / "hotel.csv")
    values = {"data": str(data), "model": str(tiny_model_dir), "method": "head_only"}
    result = check(state, values)
    assert "unknown to the tokenizer" in result["warnings"][0]
    assert "bert-base-chinese" in result["warnings"][0]
    assert result["data"]["splits"]["train"]["rows"] > 0
    quiet = check(state, {**values, "unknown_token_warning": 1})
    assert not any("tokenizer" in w for w in quiet["warnings"])
    with pytest.raises(Exception, match="unknown_token_warning"):
        check(state, {**values, "unknown_token_warning": 2})


@pytest.mark.train
def test_the_command_line_warns_on_stderr_and_trains(tmp_path, tiny_model_dir, capsys):
    from core.train import main

    data = write_chinese(tmp_path / "hotel.csv")
    args = ["--method", "head_only", "--data", str(data), "--model", str(tiny_model_dir),
            "--max-steps", "2", "--batch-size", "8", "--precision", "fp32", "--quiet",
            "--out", str(tmp_path / "run")]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "warning: " in captured.err and "unknown to the tokenizer" in captured.err
    assert "bert-base-chinese" in captured.err
    assert "warning" not in captured.out.splitlines()[-1]  # the summary stays one JSON line


def test_model_unread_names_the_built_in_model():
    found = model_unread(None, CHINESE, 0.1)
    assert found is not None and found.model == "all-MiniLM-L6-v2"


# ----------------------------------------------------------------------------- folders
def test_a_folder_with_one_data_file_trains_on_it(tmp_path):
    folder = tmp_path / "hotel"
    write_chinese(folder / "Hotel_Reviews_all.csv")
    (folder / "SOURCE.md").write_text("where the file came from", encoding="utf-8")
    bundle = load_data(folder)
    assert len(bundle.train) + len(bundle.validation) == 60
    assert any("only data file, Hotel_Reviews_all.csv" in note for note in bundle.warnings)
    assert any("no validation file" in note for note in bundle.warnings)
    assert train_file(folder) == folder / "Hotel_Reviews_all.csv"


def test_the_preview_of_a_single_file_folder(state, tmp_path):
    folder = tmp_path / "hotel"
    write_chinese(folder / "hotel_all.csv")
    view = preview(state, str(folder))
    assert view.rows == 60 and view.text_column == "review" and len(view.sample) == 60


def test_a_folder_with_several_data_files_and_no_train_file_lists_them(tmp_path):
    folder = tmp_path / "many"
    write_chinese(folder / "hotels.csv")
    write_chinese(folder / "restaurants.csv")
    with pytest.raises(DataError) as raised:
        load_data(folder)
    message = str(raised.value)
    assert "several data files (hotels.csv, restaurants.csv)" in message
    assert "rename the training file to train.<ext>" in message
    with pytest.raises(DataError, match="hotels.csv, restaurants.csv"):
        train_file(folder)


def test_a_folder_whose_only_file_is_a_test_split_is_refused(tmp_path):
    folder = tmp_path / "only-test"
    write_chinese(folder / "test.csv")
    with pytest.raises(DataError, match="only data file, test.csv, is named as a validation"):
        load_data(folder)


# ----------------------------------------------------------------------------- real data
def test_chnsenticorp_folder_loads_and_minilm_does_not_read_it():
    folder = shared_path("chnsenticorp_htl_all")
    bundle = load_data(folder)
    assert len(bundle.train) + len(bundle.validation) == 7765  # the empty review is dropped
    assert bundle.label_names == ["0", "1"]
    found = model_unread(None, bundle.train.texts, 0.1)
    assert found is not None and found.script == "chinese"
    assert 0.5 < found.share < 0.8  # about 65% of its tokens are [UNK]
    assert "bert-base-chinese" in found.message()
    head = pd.read_csv(train_file(folder), nrows=1)
    assert list(head.columns) == ["label", "review"]
