"""Reading tagged words: CoNLL files and JSON lines, IOB checks and conversion, refusals with
their place, telling a CoNLL file apart, and the real CoNLL-2003 files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import shared_path

from core.analysis.entities import entity_scores
from core.data.iob import TagSchemeError, is_iob_tag, to_iob2
from core.data.tagging import (
    TaggingDataError,
    looks_like_conll,
    read_conll,
    read_tagged,
    read_tagged_jsonl,
)
from core.errors import DataError

CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _jsonl(folder: Path, rows: list[object], name: str = "data.jsonl") -> Path:
    return _write(folder, name, "\n".join(json.dumps(row) for row in rows) + "\n")


# ------------------------------------------------------------------------------ CoNLL
def test_conll_reads_sentences_with_the_tag_in_the_last_column(tmp_path: Path) -> None:
    data = read_conll(_write(tmp_path, "train.txt", CONLL))
    assert [s.words for s in data.sentences] == [
        ["EU", "rejects", "German", "call"],
        ["Peter", "Blackburn"],
    ]
    assert data.sentences[0].tags == ["B-ORG", "O", "B-MISC", "O"]
    assert [s.line for s in data.sentences] == [3, 8]
    assert data.tag_names == ["O", "B-MISC", "B-ORG", "B-PER", "I-PER"]
    assert data.entity_types == ["MISC", "ORG", "PER"]
    assert data.notes == []


def test_conll_takes_two_columns_tabs_and_windows_line_ends(tmp_path: Path) -> None:
    text = "New\tB-LOC\r\nYork\tI-LOC\r\n\r\n\r\nhi there\tO\r\n"
    data = read_conll(_write(tmp_path, "a.conll", text))
    assert [s.words for s in data.sentences] == [["New", "York"], ["hi there"]]
    assert data.sentences[1].tags == ["O"]


def test_conll_iob1_becomes_iob2_with_a_note(tmp_path: Path) -> None:
    text = "EU I-ORG\nand O\nUN I-ORG\nNATO B-ORG\n"
    data = read_conll(_write(tmp_path, "iob1.txt", text))
    assert data.sentences[0].tags == ["B-ORG", "O", "B-ORG", "B-ORG"]
    assert "2 entities starting with I- now start with B-" in data.notes[0]


def test_conll_keeps_whole_iobes_entities(tmp_path: Path) -> None:
    text = "Peter B-PER\nBlackburn E-PER\nin O\nParis S-LOC\n"
    data = read_conll(_write(tmp_path, "iobes.txt", text))
    assert data.sentences[0].tags == ["B-PER", "E-PER", "O", "S-LOC"]
    assert data.tag_names == ["O", "S-LOC", "B-PER", "E-PER"]


def test_a_line_with_one_column_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.txt", "EU B-ORG\nrejects\n")
    with pytest.raises(TaggingDataError, match=r"bad.txt line 2: 'rejects' has one column"):
        read_conll(path)


def test_a_tag_that_is_not_iob_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.txt", "EU B-ORG\n\nPeter NNP PER\n")
    with pytest.raises(TagSchemeError, match=r"bad.txt line 3: tag 'PER' is not an IOB tag"):
        read_conll(path)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("Peter B-PER\nBlackburn I-PER\nsaid S-X\n", 3, r"tag 'S-X' breaks an IOBES entity"),
        ("Peter S-PER\nBlackburn E-PER\n", 2, r"tag 'E-PER' breaks an IOBES entity"),
        ("Peter B-PER\nParis E-LOC\n", 2, r"tag 'E-LOC' breaks an IOBES entity"),
        ("Peter B-PER\nBlackburn I-PER\n", 2, r"the sentence ends inside a PER entity"),
    ],
)
def test_broken_iobes_entities_are_refused(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, "iobes.txt", "Rome S-LOC\n\n" + text)
    with pytest.raises(TagSchemeError, match=rf"iobes.txt line {line + 2}: {message}"):
        read_conll(path)


def test_a_file_without_sentences_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.txt", "-DOCSTART- O\n\n\n")
    with pytest.raises(TaggingDataError, match=r"empty.txt holds no tagged sentences"):
        read_conll(path)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"file or folder not found: .*nothing.txt"):
        read_tagged(tmp_path / "nothing.txt")


# ------------------------------------------------------------------------------ JSON lines
def test_jsonl_reads_string_tags_under_common_keys(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "tokens": ["Peter", "Blackburn"], "ner_tags": ["B-PER", "I-PER"]},
        {"id": 2, "tokens": [], "ner_tags": []},
        {"id": 3, "tokens": ["in", "Paris"], "ner_tags": ["O", "B-LOC"]},
    ]
    data = read_tagged(_jsonl(tmp_path, rows))
    assert [s.words for s in data.sentences] == [["Peter", "Blackburn"], ["in", "Paris"]]
    assert [s.line for s in data.sentences] == [1, 3]
    assert data.tag_names == ["O", "B-LOC", "B-PER", "I-PER"]


def test_jsonl_reads_numeric_tags_with_their_names(tmp_path: Path) -> None:
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    path = _jsonl(tmp_path, [{"words": ["Peter", "in", "Paris"], "labels": [1, 0, 3]}])
    data = read_tagged_jsonl(path, tag_names=names)
    assert data.sentences[0].tags == ["B-PER", "O", "B-LOC"]


def test_jsonl_keys_can_be_named(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"w": ["Paris"], "t": ["I-LOC"], "tags": "x"}], "d.json")
    data = read_tagged(path, word_key="w", tag_key="t")
    assert data.sentences[0].tags == ["B-LOC"]  # IOB1 read as IOB2
    assert data.notes


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"tokens": ["a", "b"], "tags": ["O"]}], r"line 1: 2 words but 1 tags; each word"),
        (["just text"], r"line 1: expected a JSON object with a list of words"),
        (
            [{"text": "a b", "tags": ["O"]}],
            r"line 1: no list of words; name it one of tokens, "
            r"words \(keys found: text, tags\)",
        ),  # fmt: skip
        ([{"tokens": ["a"], "label": "O"}], r"line 1: no list of tags; name it one of tags, "),
        ([{"tokens": "a b", "tags": ["O"]}], r"line 1: 'tokens' must be a list of strings"),
        ([{"tokens": ["a"], "tags": [None]}], r"line 1: 'tags' must be a list of tags"),
        ([{"tokens": ["a"], "tags": [True]}], r"line 1: 'tags' must be a list of tags"),
        ([{"tokens": ["a"], "tags": [1]}], r"line 1: the tags are numbers; give their names"),
        (
            [{"tokens": ["a"], "tags": ["O"]}, {"tokens": ["b", "c"], "tags": ["O", "PER"]}],
            r"line 2, word 2: tag 'PER' is not an IOB tag",
        ),
        ([{"tokens": [], "tags": []}], r"holds no tagged sentences"),
    ],
)
def test_bad_jsonl_rows_are_refused_with_their_line(
    tmp_path: Path, rows: list[object], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        read_tagged(_jsonl(tmp_path, rows))


def test_numeric_tags_beyond_the_names_are_refused(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, [{"tokens": ["a"], "tags": [0]}, {"tokens": ["b"], "tags": [7]}])
    with pytest.raises(TaggingDataError, match=r"line 2: tag number 7 has no name; there are 2"):
        read_tagged(path, tag_names=["O", "B-X"])


def test_a_line_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.jsonl", '{"tokens": ["a"], "tags": ["O"]}\n{"tokens": [\n')
    with pytest.raises(TaggingDataError, match=r"d.jsonl line 2: not valid JSON"):
        read_tagged(path)


# ------------------------------------------------------------------------------ IOB helpers
def test_iob_tags_are_o_or_a_prefix_and_a_type() -> None:
    assert all(map(is_iob_tag, ["O", "B-PER", "I-LOC", "E-X", "S-MISC", "B-ORG-CORP"]))
    assert not any(map(is_iob_tag, ["o", "PER", "B-", "B_PER", "U-PER", "B- ", "OUT"]))


def test_iob1_to_iob2_starts_each_entity_with_b() -> None:
    assert to_iob2(["I-PER", "I-PER", "I-LOC", "O", "B-LOC", "I-LOC"]) == (
        ["B-PER", "I-PER", "B-LOC", "O", "B-LOC", "I-LOC"],
        2,
    )


# ------------------------------------------------------------------------------ detection
def test_looks_like_conll_says_why(tmp_path: Path) -> None:
    ok, reason = looks_like_conll(_write(tmp_path, "train.txt", CONLL))
    assert ok
    assert reason == "every line of train.txt looked at (6) is a word and its IOB tag"


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("t.tsv", "text\tlabel\ngood film\t1\n", r"line 1 of t.tsv does not end with an IOB tag"),
        ("t.txt", "a O\nb\n", r"line 2 of t.txt does not end with an IOB tag: 'b'"),
        ("t.txt", "a O\nb O\n", r"no entity tags \(B-, I-, ...\) in t.txt"),
        ("t.jsonl", '{"tokens": ["a"], "tags": ["B-X"]}\n', r"t.jsonl is a .jsonl file"),
    ],
)
def test_looks_like_conll_refuses_other_files(
    tmp_path: Path, name: str, text: str, reason: str
) -> None:
    ok, why = looks_like_conll(_write(tmp_path, name, text))
    assert not ok
    assert re.search(reason, why)


def test_looks_like_conll_on_a_missing_file(tmp_path: Path) -> None:
    ok, why = looks_like_conll(tmp_path / "gone.txt")
    assert not ok and "not found" in why


# ------------------------------------------------------------------------------ CoNLL-2003
@pytest.mark.parametrize(("split", "sentences"), [("train", 14041), ("dev", 3250), ("test", 3453)])
def test_conll2003_reads_and_scores_itself_perfectly(split: str, sentences: int) -> None:
    path = shared_path("conll2003", f"{split}.txt")
    assert looks_like_conll(path)[0]
    data = read_conll(path)
    assert len(data.sentences) == sentences
    assert data.notes == []  # already IOB2
    assert data.entity_types == ["LOC", "MISC", "ORG", "PER"]
    assert data.tag_names == ["O"] + [f"{p}-{t}" for t in data.entity_types for p in "BI"]
    gold = [s.tags for s in data.sentences]
    words = sum(len(tags) for tags in gold)
    assert 10 * sentences < words < 20 * sentences
    perfect = entity_scores(gold, gold)
    assert perfect.overall.f1 == 1.0
    assert set(perfect.per_type) == {"LOC", "MISC", "ORG", "PER"}
    shifted = [["O", *tags[:-1]] for tags in gold]  # every tag one word late
    assert entity_scores(gold, shifted).overall.f1 < 0.5
