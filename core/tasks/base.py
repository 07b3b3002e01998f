"""What every task type declares: its facts, how it finds itself in a table, how it encodes rows.

A task type (one text and one label, a pair of texts, ...) is one module of :mod:`core.tasks`
holding one :class:`Task`. The data loader asks each registered task whether a table's columns
look like it (:meth:`Task.detect`), and the tokenizer encodes a task's rows with
:meth:`Task.encode`, so a new task type is a new module, not a change across the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

Encoded = tuple[list[list[int]], list[list[int]] | None]
"""Token ids per row, and type ids per row when the model takes them."""


@dataclass(frozen=True)
class Detection:
    """A task type found in a table: its name, the text columns it reads and why it was chosen
    (a sentence for a person, e.g. "two text columns named premise and hypothesis")."""

    task: str
    reason: str
    text_column: str | None = None
    text_pair_column: str | None = None


class Task:
    """One task type. Subclasses set the class attributes and override what differs."""

    name: str = ""
    title: str = ""
    help: str = ""
    few_shot_unit: str = "class"
    """What a few-shot sample counts: k rows per "class", per "label" or "n" rows in all."""
    inputs: tuple[str, ...] = ("text",)
    """The texts one row holds, as the HTTP API and batch files name them."""

    def detect(
        self, columns: Sequence[str], text_column: str | None, text_pair_column: str | None
    ) -> Detection | None:
        """This task when a table with ``columns`` looks like it, with the reason; else None."""
        return None

    def detect_source(self, source: Path) -> Detection | None:
        """This task when the file or folder ``source`` itself shows it (a CoNLL file is
        tagged words, whatever its columns), with the reason; else None (told from columns)."""
        return None

    def encode(
        self, tokenizer: PreTrainedTokenizerBase, rows: Sequence[Any], max_length: int
    ) -> Encoded:
        """Token ids (and type ids) of ``rows``, truncated to ``max_length`` tokens."""
        raise NotImplementedError

    def row(self, values: dict[str, Any]) -> Any:
        """One row as this task's encoder takes it, from named inputs (``{"text": ...}``)."""
        raise NotImplementedError

    def rows(self, rows: Sequence[Any]) -> list[Any]:
        """``rows`` given for prediction, checked and in the shape :meth:`encode` takes.

        Raises:
            InputError: a row of the wrong shape (a pair given to a one-text task, ...).
        """
        raise NotImplementedError

    def display(self, row: Any) -> str:
        """One row as a single line of text for tables and reports."""
        return str(row)
