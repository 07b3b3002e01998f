"""Tagged words (named entities): one tag per word of a sentence, scored entity by entity.

A dataset of tagged words is a CoNLL file, or a folder of them (``train.txt``, ``dev.txt``,
``test.txt``), or JSON lines with word and tag lists (:mod:`core.data.tagging`). It is told
from the file itself, never from table columns (:meth:`Tagging.detect_source`). Each word's tag
goes on its first sub-token (:mod:`core.data.word_alignment`); a sentence for prediction is a
list of words, or a text split at spaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.tagging import JSON_EXTENSIONS, looks_like_conll
from core.errors import InputError
from core.messages import say
from core.tasks.base import Detection, Encoded, Task

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

CONLL_EXTENSIONS = (".txt", ".conll", ".iob", ".bio", ".tsv")
"""Extensions a CoNLL file of tagged words may have (other names are looked at too)."""

GIVE_WORDS = say(
    "this run tags words: give a sentence as 'words' (a list of words) or as 'text' (split "
    "at spaces)"
)


def conll_files(folder: Path) -> list[Path]:
    """The files of ``folder`` that may hold tagged words (CoNLL or JSON lines), by name."""
    return [
        path
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in (*CONLL_EXTENSIONS, *JSON_EXTENSIONS)
    ]


def training_file(source: Path) -> Path | None:
    """The file whose lines tell whether ``source`` (a file or a folder) is tagged words."""
    if source.is_file():
        return source
    if source.is_dir():
        files = conll_files(source)
        named = [path for path in files if path.stem.lower() == "train"]
        return (named or files)[0] if files else None
    return None


def words_of(row: Any) -> list[str]:
    """A sentence as words: a list as it is, a text split at spaces.

    Raises:
        InputError: a row that is neither (a pair of texts, a number, ...), or no word.
    """
    if isinstance(row, str):
        words = row.split()
    elif isinstance(row, (list, tuple)) and all(isinstance(word, str) for word in row):
        words = [str(word) for word in row]
    else:
        raise InputError(GIVE_WORDS)
    if not words:
        raise InputError(say("a sentence to tag has no words"))
    return words


class Tagging(Task):
    name = "tagging"
    title = "Tagged words (entities)"
    help = (
        "Tag every word of a sentence (named entities: person, place, organisation, ...); "
        "CoNLL files or JSON lines of words and tags, scored entity by entity."
    )
    few_shot_unit = "n"
    inputs = ("words",)
    best_metric = "eval_f1"  # entity F1, the CoNLL way
    score_name = say("entity F1")
    detected_by_columns = False  # told from the file itself (detect_source)
    tags_words = True

    def detect_source(self, source: Path) -> Detection | None:
        file = training_file(source)
        if file is None or file.suffix.lower() in JSON_EXTENSIONS:
            return None
        found, reason = looks_like_conll(file)
        return Detection(self.name, reason) if found else None

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        encoded = tokenizer(
            [list(words_of(row)) for row in rows], is_split_into_words=True, truncation=True,
            max_length=max_length, return_attention_mask=False,
        )  # fmt: skip
        return encoded["input_ids"], encoded.get("token_type_ids")

    def row(self, values: dict[str, Any]) -> Any:
        words = values.get("words")
        return words_of(words if words is not None else values.get("text"))

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        return [words_of(row) for row in rows]

    def display(self, row: Any) -> str:
        return " ".join(row) if isinstance(row, (list, tuple)) else str(row)


TASK = Tagging()
