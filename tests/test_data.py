"""core.data: reading files, guessing columns, labels, splits and every error path."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import shared_path

from core.data.columns import guess_columns
from core.data.loading import load_data
from core.data.reading import read_table
from core.data.splits import DataBundle, TextSplit
from core.errors import DataError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def tsv(rows: list[tuple[str, object]], header: str = "sentence\tlabel") -> str:
    return header + "\n" + "".join(f"{text}\t{label}\n" for text, label in rows)


def balanced(n: int = 10, labels: tuple[object, ...] = (0, 1)) -> list[tuple[str, object]]:
    return [(f"example number {i} ", labels[i % len(labels)]) for i in range(n)]


# --------------------------------------------------------------------------- formats
def test_tsv_file_is_train_with_stratified_validation_and_stripped_texts(tmp_path):
    bundle = load_data(write(tmp_path, "d.tsv", tsv(balanced(20))))
    assert (len(bundle.train), len(bundle.validation), bundle.test) == (18, 2, None)
    assert sorted(bundle.validation.labels) == [0, 1]
    assert all(t == t.strip() for t in bundle.train.texts + bundle.validation.texts)
    assert bundle.text_column == "sentence" and bundle.label_column == "label"


def test_csv_quoted_multiline_field_is_one_row(tmp_path):
    rows = "".join(f'"line one, {i}\nline ""two"" {i}",{i % 2}\n' for i in range(10))
    df = read_table(write(tmp_path, "d.csv", "text,label\n" + rows))
    assert len(df) == 10 and df["text"][3] == 'line one, 3\nline "two" 3'


def test_stray_quotes_in_unquoted_tsv_stay_text(tmp_path):
    rows = [('"quoted start of a sentence', 0), ("plain", 1), ('ends with "', 0), ("x", 1)]
    path = write(tmp_path, "d.tsv", tsv(rows * 3))
    df = read_table(path)
    assert len(df) == 12 and df["sentence"][0] == '"quoted start of a sentence'
    assert "quoting off" in " ".join(load_data(path).warnings)
    df = read_table(write(tmp_path, "e.tsv", tsv([('"hi" she said', 0)])))
    assert df["sentence"][0] == '"hi" she said'


def test_properly_quoted_tsv_fields_are_unquoted(tmp_path):
    df = read_table(write(tmp_path, "d.tsv", tsv([('"she said ""hi"""', 0), ("plain", 1)])))
    assert df["sentence"].tolist() == ['she said "hi"', "plain"]


def test_jsonl_json_and_parquet_read_the_same(tmp_path):
    records = [{"text": f"t{i}", "label": i % 2} for i in range(10)]
    jsonl = write(tmp_path, "a.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    as_list = write(tmp_path, "b.json", json.dumps(records))
    as_lines = write(tmp_path, "c.json", jsonl.read_text())
    as_columns = write(tmp_path, "d.json", json.dumps(pd.DataFrame(records).to_dict("list")))
    pd.DataFrame(records).to_parquet(tmp_path / "e.parquet")
    for path in (jsonl, as_list, as_lines, as_columns, tmp_path / "e.parquet"):
        df = read_table(path)
        assert df["text"].tolist() == [r["text"] for r in records], path
        assert df["label"].tolist() == [r["label"] for r in records], path
    assert len(read_table(jsonl, nrows=3)) == 3


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("\ufefftext,label\n".encode() + b"caf\xc3\xa9,1\nb,0\n")
    assert read_table(path).columns.tolist() == ["text", "label"]


def test_folder_with_train_dev_and_labelled_test(tmp_path):
    write(tmp_path, "TRAIN.tsv", tsv(balanced(10)))
    write(tmp_path, "Dev.csv", "sentence,label\na,0\nb,1\n")
    write(tmp_path, "test.tsv", "index\tsentence\n0\tno label\n")
    write(tmp_path, "test-labeled.jsonl", '{"sentence": "c", "label": 1}\n')
    write(tmp_path, "notes.txt", "ignored")
    bundle = load_data(tmp_path)
    assert (len(bundle.train), len(bundle.validation), len(bundle.test)) == (10, 2, 1)
    assert bundle.test.labels == [1] and bundle.warnings == []


def test_folder_unlabelled_test_gives_none_and_warning(tmp_path):
    write(tmp_path, "train.tsv", tsv(balanced(12)))
    write(tmp_path, "test.tsv", "index\tsentence\n0\tno label \n")
    bundle = load_data(tmp_path)
    assert bundle.test is None
    assert (len(bundle.train), len(bundle.validation)) == (10, 2)
    assert any("unlabelled" in w for w in bundle.warnings)


# --------------------------------------------------------------------------- labels & splits
def test_split_is_deterministic_per_seed_and_stratified(tmp_path):
    rows = [(f"row {i}", "a" if i < 30 else "b") for i in range(100)]
    path = write(tmp_path, "d.tsv", tsv(rows))
    first, again, other = load_data(path), load_data(path, seed=42), load_data(path, seed=7)
    assert first.validation == again.validation and first.train == again.train
    assert first.validation.texts != other.validation.texts
    assert sorted(first.validation.labels) == [0] * 3 + [1] * 7


def test_string_labels_are_sorted_alphabetically(tmp_path):
    path = write(tmp_path, "d.tsv", tsv(balanced(12, ("pos", "neg", "neutral"))))
    bundle = load_data(path)
    assert bundle.label_names == ["neg", "neutral", "pos"]
    assert bundle.summary()["splits"]["train"]["label_counts"] == {"neg": 3, "neutral": 3, "pos": 3}


def test_integer_labels_keep_numeric_order_and_equal_forms_match(tmp_path):
    write(tmp_path, "train.tsv", tsv(balanced(12, (10, -1, 2))))
    write(
        tmp_path, "dev.jsonl", '{"sentence": "a", "label": 2.0}\n{"sentence": "b", "label": "10"}'
    )
    bundle = load_data(tmp_path)
    assert bundle.label_names == ["-1", "2", "10"]
    assert bundle.validation.labels == [1, 2]


def test_rows_with_empty_text_or_missing_label_are_dropped_with_warnings(tmp_path):
    rows = balanced(12) + [("   ", 0), ("no label", "")]
    bundle = load_data(write(tmp_path, "d.tsv", tsv(rows)))
    assert len(bundle.train) + len(bundle.validation) == 12
    assert "dropped 1 row with empty text from train" in bundle.warnings
    assert "dropped 1 row with a missing label from train" in bundle.warnings


def test_evaluation_texts_seen_in_train_are_reported(tmp_path):
    write(tmp_path, "train.tsv", tsv(balanced(10)))
    write(tmp_path, "dev.tsv", tsv([("example number 1", 1), ("new", 0)]))
    assert load_data(tmp_path).warnings == ["1 of 2 validation texts also occur in train"]


def test_max_train_rows_subsamples_deterministically_and_stratified(tmp_path):
    path = write(tmp_path, "d.tsv", tsv([(f"r{i}", int(i < 40)) for i in range(200)]))
    small = load_data(path, max_train_rows=50)
    assert len(small.train) == 50 and sorted(small.train.labels).count(1) == 10
    assert small.train == load_data(path, max_train_rows=50).train
    assert len(small.validation) == 20


def test_guess_columns_by_name_then_longest_text():
    df = pd.DataFrame({"ID": ["1", "2"], "Review": ["a", "b"], "Sentiment": ["x", "y"]})
    assert guess_columns(df) == ("Review", "Sentiment")
    df = pd.DataFrame({"id": ["1", "2"], "title": ["a", "b"], "blurb": ["long text", "more"]})
    assert guess_columns(df.assign(label=[0, 1])) == ("blurb", "label")
    assert guess_columns(df, text_column="title", label_column="id") == ("title", "id")


def test_summary_lists_splits_and_counts():
    split = TextSplit(["a", "b", "c"], [0, 1, 1])
    bundle = DataBundle(split, split, None, ["n", "p"], "text", "label", "src", ["note"])
    summary = bundle.summary()
    assert summary["splits"]["validation"] == {"rows": 3, "label_counts": {"n": 1, "p": 2}}
    assert "test" not in summary["splits"] and summary["warnings"] == ["note"]


# --------------------------------------------------------------------------- errors
def test_missing_file_is_not_sent_to_the_hub(tmp_path):
    with pytest.raises(DataError, match="file or folder not found"):
        load_data(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="file or folder not found"):
        load_data("data/reviews.tsv")


def test_unsupported_extension(tmp_path):
    with pytest.raises(DataError, match=r"unsupported file type.*\.parquet"):
        load_data(write(tmp_path, "d.xlsx", "x"))


def test_unknown_column_lists_available_columns(tmp_path):
    with pytest.raises(DataError, match="'body' not found.*'sentence', 'label'"):
        load_data(write(tmp_path, "d.tsv", tsv(balanced())), text_column="body")


def test_one_class_only(tmp_path):
    with pytest.raises(DataError, match="only one label"):
        load_data(write(tmp_path, "d.tsv", tsv(balanced(10, (1,)))))


def test_mostly_empty_texts_suggest_wrong_column(tmp_path):
    rows = balanced(4) + [("", i % 2) for i in range(10)]
    with pytest.raises(DataError, match="10 of 14 rows in train.*wrong column"):
        load_data(write(tmp_path, "d.tsv", tsv(rows)))


def test_non_utf8_file_asks_to_resave(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"text,label\ncaf\xe9,1\n")
    with pytest.raises(DataError, match=r"d\.csv is not valid UTF-8.*re-save it as UTF-8"):
        load_data(path)


def test_validation_label_unseen_in_train(tmp_path):
    write(tmp_path, "train.tsv", tsv(balanced(10, ("neg", "pos"))))
    write(tmp_path, "val.tsv", tsv([("a", "neg"), ("b", "neutral")]))
    with pytest.raises(DataError, match=r"validation split has labels not seen in train.*neutral"):
        load_data(tmp_path)


def test_dataset_too_small(tmp_path):
    with pytest.raises(DataError, match="too small: 6 rows. At least 8 rows"):
        load_data(write(tmp_path, "d.tsv", tsv(balanced(6))))
    rows = balanced(10) + [("lonely", 2)]
    with pytest.raises(DataError, match=r"too few examples of \{'2': 1\}"):
        load_data(write(tmp_path, "e.tsv", tsv(rows)))


def test_validation_file_with_one_row_is_too_small(tmp_path):
    write(tmp_path, "train.tsv", tsv(balanced(10)))
    write(tmp_path, "dev.tsv", tsv([("a", 0)]))
    with pytest.raises(DataError, match="validation split has 1 row; at least 2"):
        load_data(tmp_path)


def test_header_only_and_empty_files(tmp_path):
    with pytest.raises(DataError, match=r"no data rows \(only a header\)"):
        load_data(write(tmp_path, "d.tsv", "sentence\tlabel\n"))
    with pytest.raises(DataError, match="is empty"):
        load_data(write(tmp_path, "e.csv", "\n"))


def test_ambiguous_columns_ask_for_flags(tmp_path):
    path = write(tmp_path, "d.csv", "first,second\n" + "some text,other text\n" * 10)
    with pytest.raises(DataError, match="'first', 'second'.*--label-column"):
        load_data(path)


def test_unparsable_files_give_the_parser_reason(tmp_path):
    with pytest.raises(DataError, match="could not parse.*Expected 2 fields in line 3, saw 3"):
        load_data(write(tmp_path, "d.csv", "text,label\na,1\nb,1,2\n"))
    with pytest.raises(DataError, match="could not parse.*line 2"):
        load_data(write(tmp_path, "e.jsonl", '{"text": "a", "label": 1}\n{"text": \n'))


def test_folder_without_train_names_expected_files(tmp_path):
    write(tmp_path, "dev.tsv", tsv(balanced()))
    with pytest.raises(DataError, match="no training file in folder .*train.*dev/validation"):
        load_data(tmp_path)


# --------------------------------------------------------------------------- Hugging Face Hub
def test_unknown_hub_id_offline_raises_data_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    for module in ("huggingface_hub.constants", "datasets.config"):  # already imported: patch
        if module in sys.modules:
            monkeypatch.setattr(sys.modules[module], "HF_HUB_OFFLINE", True)
    with pytest.raises(DataError, match="from the Hugging Face Hub.*internet connection"):
        load_data("no-such-user/no-such-dataset")


def test_hub_class_labels_and_unlabelled_glue_test(monkeypatch):
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"sentence": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "pos"])}
    )

    def split(n: int, labels: list[int]):
        rows = {"sentence": [f"s{i} " for i in range(n)], "label": labels}
        return datasets.Dataset.from_dict(rows, features=features)

    fake = datasets.DatasetDict(
        train=split(10, [1, 0] * 5), validation=split(2, [0, 1]), test=split(2, [-1, -1])
    )
    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda *a: calls.append(a) or fake)
    bundle = load_data("glue:sst2")
    assert calls == [("glue", "sst2")]
    assert bundle.label_names == ["neg", "pos"] and bundle.train.labels[:2] == [1, 0]
    assert bundle.test is None and len(bundle.validation) == 2 and bundle.source == "glue:sst2"


# --------------------------------------------------------------------------- real datasets
def test_sst2_folder_counts():
    bundle = load_data(shared_path("sst2"))
    counts = bundle.summary()["splits"]
    assert counts["train"] == {"rows": 67_349, "label_counts": {"0": 29_780, "1": 37_569}}
    assert counts["validation"] == {"rows": 872, "label_counts": {"0": 428, "1": 444}}
    assert bundle.test is None and any("test" in w for w in bundle.warnings)
    assert bundle.train.texts[0] == "hide new secretions from the parental units"


def test_amazon_books_multiline_reviews_parse_to_published_counts():
    bundle = load_data(shared_path("amazon-reviews", "books"))
    assert (len(bundle.train), len(bundle.validation), len(bundle.test)) == (1700, 300, 2000)
    assert bundle.label_names == ["0", "1"]
    # surprise: test-labeled.tsv is train.tsv + dev.tsv again, not a held-out set
    assert "1,705 of 2,000 test texts also occur in train" in bundle.warnings


def test_chnsenticorp_drops_the_empty_review():
    bundle = load_data(shared_path("chnsenticorp_htl_all", "ChnSentiCorp_htl_all.csv"))
    assert len(bundle.train) + len(bundle.validation) == 7_765
    assert bundle.label_names == ["0", "1"] and bundle.text_column == "review"
    assert "dropped 1 row with empty text from train" in bundle.warnings
