"""Where a tagger goes wrong: its tags on the validation sentences, entity scores per type and
the sentences with missed or spurious entities (Monitor's diagnosis of a tagging run).

The rows are those the run was evaluated on (checked by the digest it recorded); at most
``max_rows`` sentences are looked at, the first ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from core.analysis.entities import entity_mistakes, entity_scores
from core.analysis.mistakes import _adapter, _load_data, changed_data, finished_run
from core.analysis.predict import Predictor
from core.training.recording import adapter_folder
from storage.store import Store


@dataclass(frozen=True)
class TaggedPredictions:
    """A tagger's tags for its validation sentences, beside the true tags."""

    run_id: int
    name: str
    words: list[list[str]]
    truth: list[list[str]]
    predicted: list[list[str]]
    validation_rows: int

    @property
    def label(self) -> str:
        return f"#{self.run_id} {self.name}"


def tagged_predictions(
    store: Store, run_id: int, *, max_rows: int = 5000, predictor: Predictor | None = None
) -> TaggedPredictions:
    """The tagging run's tags on its first ``max_rows`` validation sentences.

    Raises:
        RunStateError: the run is queued, running or failed.
        AdapterLoadError: it saved no adapter.
        DataError: its data cannot be read any more, or its validation sentences changed.
    """
    run, config = finished_run(store, run_id)
    predictor = predictor or Predictor()
    _adapter(store, run, predictor)
    data = _load_data(run, config)
    recorded = (run.get("metrics") or {}).get("validation_digest")
    if recorded is not None and recorded != data.digest(data.validation):
        raise changed_data(run, data)
    count = min(len(data.validation), max_rows)
    words = [list(sentence) for sentence in data.validation.texts[:count]]
    truth = [
        [data.label_names[tag] for tag in cast(Sequence[int], tags)]
        for tags in data.validation.labels[:count]
    ]
    folder = str(adapter_folder(store, int(run["id"])))
    rows = predictor.predict(words, [folder])[folder] if words else []
    return TaggedPredictions(
        int(run["id"]), run["name"], words, truth, [row["tags"] for row in rows],
        len(data.validation),
    )  # fmt: skip


def type_scores(preds: TaggedPredictions) -> list[dict[str, Any]]:
    """Precision, recall, F1 and true entities of each entity type, then of all entities
    (``type`` None)."""
    scores = entity_scores(preds.truth, preds.predicted)
    rows = [{"type": name, **vars(score)} for name, score in scores.per_type.items()]
    return [*rows, {"type": None, **vars(scores.overall)}]


def mistake_rows(preds: TaggedPredictions) -> list[dict[str, Any]]:
    """Each sentence with a missed or a spurious entity: its number (from 0), its words, the
    missed and the spurious entities as ``TYPE: words``."""
    return [
        {
            "row": found.sentence,
            "text": " ".join(preds.words[found.sentence]),
            "missed": [f"{e.type}: {e.text}" for e in found.missed],
            "spurious": [f"{e.type}: {e.text}" for e in found.spurious],
        }
        for found in entity_mistakes(preds.words, preds.truth, preds.predicted)
    ]
