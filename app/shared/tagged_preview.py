"""The Train tab's preview of tagged words (a CoNLL or JSON lines file or folder): the first
sentences with their tags, the tag set, the entity types counted, and the detected task."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd

from core.analysis.entities import entity_spans
from core.data.tagging import read_tagged
from core.tasks import AUTO, detect_source
from core.tasks.tagging import TASK as TAGGING
from core.tasks.tagging import training_file

PREVIEW_SENTENCES = 8


def tagged_summary(source: str | Path, task: str | None = None) -> dict | None:
    """None unless ``source`` is tagged words (detected, or ``task`` is tagging); else
    ``{"head", "tags", "types", "sentences", "sample", "task", "reason"}``: the first
    sentences as a table (words, tags), the tag names, entities counted per type."""
    found = detect_source(source, task or AUTO)
    if found is None or found.task != TAGGING.name:
        return None
    file = training_file(Path(str(source)).expanduser())
    if file is None:
        return None
    data = read_tagged(file)
    types: Counter[str] = Counter()
    for sentence in data.sentences:
        types.update(entity.type for entity in entity_spans(sentence.words, sentence.tags))
    head = pd.DataFrame(
        {
            "words": [" ".join(s.words) for s in data.sentences[:PREVIEW_SENTENCES]],
            "tags": [" ".join(s.tags) for s in data.sentences[:PREVIEW_SENTENCES]],
        }
    )
    return {
        "head": head,
        "tags": list(data.tag_names),
        "types": dict(sorted(types.items())),
        "sentences": len(data.sentences),
        "sample": [" ".join(s.words) for s in data.sentences[:20]],
        "task": found.task,
        "reason": found.reason,
    }
