"""Try it for runs that tag words: each run's entities in the table, the sentence's entities
highlighted by type (the pieces Gradio's ``HighlightedText`` takes), batch rows with tags and
entities. No Gradio here."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from core.analysis.entities import highlight

Piece = tuple[str, str | None]


def is_tagged(row: Mapping[str, Any]) -> bool:
    """Whether a prediction row comes from a run that tags words (words, tags, entities)."""
    return "entities" in row


def entity_text(row: Mapping[str, Any]) -> str:
    """A tagged row's entities as ``TYPE: words`` in order, ``-`` when there is none."""
    found = [f"{entity['type']}: {entity['text']}" for entity in row["entities"]]
    return "; ".join(found) or "-"


def table_row(row: Mapping[str, Any]) -> list[str]:
    """One line of Try it's table: the run, its label (a tagger: its entities) and score."""
    if is_tagged(row):
        return [row["run"], entity_text(row), ""]
    return [row["run"], row["label"], f"{row['score']:.1%}"]


def highlights(results: Sequence[Mapping[str, Any]]) -> list[Piece]:
    """The tagging runs' sentences one after another, each behind its run's name, entities
    coloured by type; empty when no run tags words."""
    pieces: list[Piece] = []
    for row in results:
        if is_tagged(row):
            if pieces:
                pieces.append(("\n", None))
            pieces.append((f"{row['run']}:", None))
            pieces += highlight(row["words"], row["tags"])
    return pieces


def batch_cells(row: Mapping[str, Any]) -> list[str]:
    """A batch file's prediction cells: label and score of a classifier, or the tags (space
    separated) and entities (JSON) of a tagger; the other two left empty."""
    if is_tagged(row):
        return ["", "", " ".join(row["tags"]), json.dumps(row["entities"], ensure_ascii=False)]
    return [row["label"], f"{row['score']:.6f}", "", ""]
