"""Text pairs: two texts, one label (entailment, paraphrase, question-answer match).

Both texts go to the model as its own pair input (``tokenizer(text, text_pair)``): the
separator between them, and segment ids (``token_type_ids``) where the model has them. When the
two together are too long, the longer is cut first (``truncation="longest_first"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.errors import InputError
from core.messages import say
from core.tasks.base import Detection, Encoded, Task

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

PAIR_NAMES: tuple[tuple[str, str], ...] = (
    ("sentence1", "sentence2"),
    ("premise", "hypothesis"),
    ("question", "answer"),
    ("question", "sentence"),
    ("question", "passage"),
    ("question1", "question2"),
    ("query", "passage"),
    ("query", "document"),
    ("text_a", "text_b"),
    ("text1", "text2"),
    ("sentence_a", "sentence_b"),
    ("sentence_1", "sentence_2"),
    ("claim", "evidence"),
    ("text", "text_pair"),
)
"""Column names, first and second text, that mark a table of text pairs (any letter case)."""

PAIR_CLIP_CHARS = 16_384
"""Characters of each text of a pair looked at before tokenising (far more than any kept)."""


def pair_by_name(columns: Sequence[str]) -> tuple[str, str] | None:
    """The first and second text column when ``columns`` hold a known pair of names."""
    by_lower = {str(c).lower(): str(c) for c in reversed(list(columns))}
    for first, second in PAIR_NAMES:
        if first in by_lower and second in by_lower:
            return by_lower[first], by_lower[second]
    return None


BOTH_TEXTS = say(
    "this run classifies text pairs: give both texts, 'text' and 'text_pair' (batch files: "
    "two text columns)"
)


class Pair(Task):
    name = "pair"
    title = "Text pairs"
    help = (
        "Two texts, one label: does the first entail the second, are they paraphrases, does "
        "the answer match the question. Both reach the model as its own pair input."
    )
    few_shot_unit = "class"
    inputs = ("text", "text_pair")
    score_name = say("accuracy")

    def detect(
        self, columns: Sequence[str], text_column: str | None, text_pair_column: str | None
    ) -> Detection | None:
        if text_pair_column:
            reason = say("second text column given: {column}", column=text_pair_column)
            return Detection(self.name, reason, text_column, text_pair_column)
        found = pair_by_name(columns)
        if found is None or (text_column and text_column not in found):
            return None
        first, second = found
        reason = say("two text columns named {first} and {second}", first=first, second=second)
        return Detection(self.name, reason, first, second)

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        firsts = [str(row[0])[:PAIR_CLIP_CHARS] for row in rows]
        seconds = [str(row[1])[:PAIR_CLIP_CHARS] for row in rows]
        encoded = tokenizer(
            firsts,
            seconds,
            truncation="longest_first",
            max_length=max_length,
            return_attention_mask=False,
        )
        return encoded["input_ids"], encoded.get("token_type_ids")

    def row(self, values: dict[str, Any]) -> Any:
        text, pair = values.get("text"), values.get("text_pair")
        if not isinstance(text, str) or not isinstance(pair, str) or not pair.strip():
            raise InputError(BOTH_TEXTS)
        return (text, pair)

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        out = []
        for row in rows:
            if not isinstance(row, (tuple, list)) or len(row) != 2 or not str(row[1]).strip():
                raise InputError(BOTH_TEXTS)
            out.append((str(row[0]), str(row[1])))
        return out

    def display(self, row: Any) -> str:
        if isinstance(row, (tuple, list)) and len(row) == 2:
            return f"{row[0]} ‖ {row[1]}"
        return str(row)


TASK = Pair()
