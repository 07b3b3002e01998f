"""One text, one label: the task every run trained before task types existed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.errors import InputError
from core.messages import say
from core.tasks.base import Detection, Encoded, Task

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


ONE_TEXT = say("this run classifies single texts: give one text per row, without a second text")


class SingleLabel(Task):
    name = "single_label"
    title = "One text, one label"
    help = "Classify each text into one of its classes (sentiment, topic, ...)."
    few_shot_unit = "class"
    inputs = ("text",)
    score_name = say("accuracy")

    def detect(
        self, columns: Sequence[str], text_column: str | None, text_pair_column: str | None
    ) -> Detection | None:
        if text_pair_column:
            return None
        reason = (
            say("one text column, {column}", column=text_column)
            if text_column
            else say("no pair of text columns with known names")
        )
        return Detection(self.name, reason, text_column)

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        texts = [str(t) for t in rows]
        encoded = tokenizer(
            texts, truncation=True, max_length=max_length, return_attention_mask=False
        )
        return encoded["input_ids"], encoded.get("token_type_ids")

    def row(self, values: dict[str, Any]) -> Any:
        text = values.get("text")
        if not isinstance(text, str):
            raise InputError(say("give the text to classify as 'text'"))
        if values.get("text_pair"):
            raise InputError(ONE_TEXT)
        return text

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        if any(isinstance(row, (tuple, list)) for row in rows):
            raise InputError(ONE_TEXT)
        return [str(row) for row in rows]


TASK = SingleLabel()
