"""Where a finished run goes wrong: its predictions on its own validation rows.

:func:`run_predictions` loads the run's dataset from its stored settings, split exactly as
training split it (same columns, ``validation_fraction`` and ``seed``), and predicts every
validation row with the run's adapter. From those predictions come the confusion matrix
(:func:`confusion`), precision, recall and F1 per class (:func:`per_class`), the wrong
examples, most confident first (:func:`mistakes`), and, for two runs on the same validation
rows, the examples where they disagree (:func:`disagreements`).

Predictions are kept in a small cache bounded by runs and by characters of text
(:class:`PredictionCache`), so filtering the mistakes or switching between counts and shares
does not predict again. An entry is used only while the run, its adapter and its dataset's
files are unchanged.

Every refusal is a :class:`~core.errors.PTuneError` with a message for a person: a run that has
not finished, one without an adapter, a multi-task run, a dataset that is gone or whose
validation rows are no longer the ones the run was evaluated on, two runs validated on
different rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from core.analysis.compare import PREDICTABLE, run_label, said_status
from core.analysis.predict import Predictor
from core.analysis.score_predictions import (
    largest_errors,
    score_disagreements,
    score_points,
    score_summary,
)
from core.analysis.set_predictions import predicted_sets, set_confusion, set_per_label
from core.config import ConfigBase, TrainConfig, param, stored_run_config
from core.data.splits import DataBundle, TextSplit, split_digest, stratified_sample
from core.errors import AdapterLoadError, DataError, InputError, RunStateError, message_of
from core.messages import say
from core.tasks import get_task
from core.tasks.metrics import multi_hot
from core.training.inputs import load_run_data
from core.training.recording import adapter_folder
from storage.errors import AdapterNotFoundError
from storage.store import Store

SAMPLE_SEED = 42


@dataclass
class DiagnoseConfig(ConfigBase):
    """Settings of a look at where a run goes wrong."""

    max_rows: int = param(
        5000,
        "Predict at most this many validation rows: a stratified sample (same label shares, "
        "seed 42) when the validation split is larger, so a large dataset still answers in "
        "seconds. The same rows for every run on the same validation split.",
        min=10,
        max=1_000_000,
        label="Validation rows to look at",
    )


@dataclass(frozen=True)
class RunPredictions:
    """A run's predictions on its validation rows (label ids index ``label_names``; with several
    labels per text, ``truth`` and ``predicted`` hold tuples of label ids)."""

    run_id: int
    name: str
    label_names: list[str]
    texts: list[str]
    truth: list[Any]
    predicted: list[Any]
    confidence: list[float]
    """The probability the run gave its predicted label (several labels per text: its surest
    wrong decision, :func:`~core.analysis.set_predictions.predicted_sets`)."""
    dataset: str
    digest: str
    """:func:`~core.data.splits.split_digest` of the validation split (before any sample)."""
    validation_rows: int
    """Rows of the whole validation split; more than ``len(texts)`` when sampled."""

    @property
    def label(self) -> str:
        return f"#{self.run_id} {self.name}"

    @property
    def scores(self) -> bool:
        """Whether each row holds a score (a regression run)."""
        return any(isinstance(t, float) for t in self.truth)

    @property
    def sets(self) -> bool:
        """Whether each row holds a set of labels (a multi-label run)."""
        return any(isinstance(t, tuple) for t in self.truth)

    def names(self, label: Any) -> str:
        """A label id, or a set of them joined by ", ", as names."""
        if isinstance(label, tuple):
            return ", ".join(self.label_names[i] for i in label)
        return self.label_names[label]

    def has(self, label: Any, name: str) -> bool:
        """Whether ``label`` (an id or a set of ids) is, or holds, the label ``name``."""
        ids = label if isinstance(label, tuple) else (label,)
        return name in (self.label_names[i] for i in ids)

    def __len__(self) -> int:
        return len(self.texts)


# ----------------------------------------------------------------------------- cache
class PredictionCache:
    """Least recently used :class:`RunPredictions`, at most ``max_runs`` of them holding at
    most ``max_chars`` characters of text in all (one larger entry is still kept alone)."""

    def __init__(self, max_runs: int = 8, max_chars: int = 50_000_000) -> None:
        self.max_runs = max_runs
        self.max_chars = max_chars
        self._entries: OrderedDict[tuple, tuple[RunPredictions, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> RunPredictions | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: tuple, value: RunPredictions) -> None:
        size = sum(len(str(text)) for text in value.texts)
        with self._lock:
            # an older entry of the same run is stale now: its key named another state
            for old in [k for k in self._entries if k[:2] == key[:2]]:
                del self._entries[old]
            self._entries[key] = (value, size)
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_runs or self.chars() > self.max_chars
            ):
                self._entries.popitem(last=False)

    def chars(self) -> int:
        return sum(size for _, size in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = PredictionCache()
_predictor: Predictor | None = None


def _default_predictor() -> Predictor:
    global _predictor
    if _predictor is None:
        _predictor = Predictor()
    return _predictor


def _file_stamp(path: Path) -> tuple:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def data_stamp(source: str) -> tuple:
    """What changes when a local dataset's files change (a Hub id: nothing local)."""
    path = Path(str(source)).expanduser()
    if path.is_dir():
        return tuple(_file_stamp(p) for p in sorted(path.iterdir()) if p.is_file())
    return _file_stamp(path) if path.exists() else (str(source),)


def _cache_key(store: Store, run: dict[str, Any], config: TrainConfig, max_rows: int) -> tuple:
    metrics = run.get("metrics") or {}
    adapter = Path(str(metrics.get("adapter_path") or ""))
    meta = adapter / "ptune_adapter.json"
    stamp = _file_stamp(meta) if adapter.name else None
    return (
        str(store.path), run["id"], run.get("finished_at"), stamp, max_rows,
        data_stamp(str(config.data)),
    )  # fmt: skip


# ----------------------------------------------------------------------------- predictions
def finished_run(store: Store, run_id: int) -> tuple[dict[str, Any], TrainConfig]:
    """The run and its settings; RunStateError for a run that cannot be looked at."""
    run = store.get_run(int(run_id))
    label, status = run_label(run), said_status(run["status"])
    if run["status"] in ("queued", "running"):
        raise RunStateError(
            say("{run} is still {status}; where it goes wrong can be seen once it has finished",
                run=label, status=status)
        )  # fmt: skip
    if run["status"] not in PREDICTABLE:
        raise RunStateError(
            say("{run} is {status} and saved no trained adapter to look at; pick a run that "
                "succeeded or was stopped", run=label, status=status)
        )  # fmt: skip
    config = stored_run_config(run["config"])
    if config.tasks:
        raise RunStateError(
            say("{run} trained on several tasks at once; where it goes wrong can be shown for "
                "runs trained on one dataset", run=label)
        )  # fmt: skip
    return run, config


def _load_data(run: dict[str, Any], config: TrainConfig) -> DataBundle:
    try:
        return load_run_data(config)
    except DataError as exc:
        raise DataError(
            say("the dataset of {run}, {data}, can no longer be read: {why}. Put the dataset back "
                "where the run found it to see where the run goes wrong",
                run=run_label(run), data=config.data, why=message_of(exc))
        ) from exc  # fmt: skip


def _check_same_rows(
    run: dict[str, Any], data: DataBundle, adapter_labels: list[str], digest: str
) -> None:
    """DataError unless the validation rows are the ones the run was evaluated on.

    Runs record a digest of their validation rows; older runs are checked by their label names
    and by the rows per label of their final confusion matrix.
    """
    metrics = run.get("metrics") or {}
    recorded = metrics.get("validation_digest")
    if recorded is not None:
        same = recorded == digest
    else:
        matrix = metrics.get("eval_confusion_matrix")
        counts = [sum(row) for row in matrix] if matrix else None
        current = np.bincount(data.validation.labels, minlength=len(data.label_names)).tolist()
        same = list(data.label_names) == adapter_labels and (counts is None or counts == current)
    if not same:
        raise changed_data(run, data)


def changed_data(run: dict[str, Any], data: DataBundle) -> DataError:
    """The refusal to diagnose ``run`` on ``data`` whose validation rows changed since."""
    return DataError(
        say("the dataset of {run}, {data}, has changed since the run trained: its validation "
            "rows are no longer the ones the run was evaluated on. Put the original data "
            "back, or train a new run on the changed data",
            run=run_label(run), data=data.source)
    )  # fmt: skip


def _adapter(store: Store, run: dict[str, Any], predictor: Predictor) -> Any:
    try:
        return predictor.load(adapter_folder(store, run["id"]))
    except (AdapterNotFoundError, FileNotFoundError) as exc:
        raise AdapterLoadError(
            say("{run} has no saved adapter to predict with ({why}); pick a run that saved one, "
                "or train it again", run=run_label(run), why=message_of(exc))
        ) from exc  # fmt: skip


def _predict(
    run: dict[str, Any], data: DataBundle, split: TextSplit, adapter: Any, predictor: Predictor
) -> RunPredictions:
    index = {name: i for i, name in enumerate(adapter.label_names)}
    task = get_task(adapter.task)
    probs = (
        task.probabilities(predictor.logits(adapter, split.texts))
        if len(split)
        else torch.empty(0, len(index))
    )
    truth: list[Any]
    if task.label_kind == "number":
        truth = [float(v) for v in split.labels]
        predicted = probs.reshape(-1).tolist()
        confidence = [abs(p - t) for p, t in zip(predicted, truth, strict=True)]
    elif task.label_kind == "set":
        truth = [tuple(sorted(index[data.label_names[i]] for i in ids)) for ids in split.labels]
        predicted, confidence = predicted_sets(probs, truth, adapter.meta, adapter.label_names)
    else:
        truth = [index[data.label_names[i]] for i in split.labels]
        best, chosen = probs.max(dim=-1)
        predicted, confidence = chosen.tolist(), best.tolist()
    return RunPredictions(
        run_id=int(run["id"]),
        name=run["name"],
        label_names=list(adapter.label_names),
        texts=list(split.texts),
        truth=truth,
        predicted=predicted,
        confidence=confidence,
        dataset=data.source,
        digest=split_digest(data.validation, data.label_names),
        validation_rows=len(data.validation),
    )


def run_predictions(
    store: Store,
    run_id: int,
    *,
    max_rows: int = 5000,
    predictor: Predictor | None = None,
    cache: PredictionCache | None = None,
) -> RunPredictions:
    """The run's predictions on its validation rows (a stratified sample of ``max_rows`` when
    there are more), from the cache when nothing changed since they were computed.

    Raises:
        RunNotFoundError: no such run.
        RunStateError: the run is queued, running or failed, or trained on several tasks.
        AdapterLoadError: the run saved no adapter.
        DataError: its dataset cannot be read any more, or its validation rows changed.
    """
    settings = DiagnoseConfig(max_rows=max_rows)
    cache = _cache if cache is None else cache
    run, config = finished_run(store, run_id)
    key = _cache_key(store, run, config, settings.max_rows)
    cached = cache.get(key)
    if cached is not None:
        return cached
    predictor = predictor or _default_predictor()
    adapter = _adapter(store, run, predictor)
    data = _load_data(run, config)
    _check_same_rows(
        run, data, list(adapter.label_names), split_digest(data.validation, data.label_names)
    )
    split = data.validation
    if len(split) > settings.max_rows:
        split = stratified_sample(split, settings.max_rows, SAMPLE_SEED)
    result = _predict(run, data, split, adapter, predictor)
    cache.put(key, result)
    return result


# ----------------------------------------------------------------------------- figures
def confusion(preds: RunPredictions) -> dict[str, Any]:
    """``{labels, counts, normalised}``: rows are true labels, columns predicted ones;
    ``normalised`` divides each row by its total (a row without examples stays 0)."""
    if preds.scores:
        return score_points(preds)
    ids = list(range(len(preds.label_names)))
    if preds.sets:
        counts = set_confusion(preds.truth, preds.predicted, len(ids))
        totals = multi_hot(preds.truth, len(ids)).sum(axis=0).reshape(-1, 1)
    else:
        counts = confusion_matrix(preds.truth, preds.predicted, labels=ids)
        totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    return {
        "labels": list(preds.label_names),
        "counts": counts.tolist(),
        "normalised": shares.tolist(),
    }


def per_class(preds: RunPredictions) -> list[dict[str, Any]]:
    """Per label: precision, recall, F1 (0 where undefined) and support (true examples)."""
    if preds.scores:
        return []
    ids = list(range(len(preds.label_names)))
    if preds.sets:
        precision, recall, f1, support = set_per_label(preds.truth, preds.predicted, len(ids))
    else:
        precision, recall, f1, support = precision_recall_fscore_support(
            preds.truth, preds.predicted, labels=ids, zero_division=0
        )
    return [
        {
            "label": name,
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(support[i]),
        }
        for i, name in enumerate(preds.label_names)
    ]


LABEL_REFUSALS = {
    "true": "true label {label!r} is not one of {run}'s labels: {labels}",
    "predicted": "predicted label {label!r} is not one of {run}'s labels: {labels}",
}


def _check_label(preds: RunPredictions, label: str | None, what: str) -> None:
    if label is not None and label not in preds.label_names:
        names = ", ".join(preds.label_names)
        raise InputError(say(LABEL_REFUSALS[what], label=label, run=preds.label, labels=names))


def mistakes(
    preds: RunPredictions, true_label: str | None = None, predicted_label: str | None = None
) -> list[dict[str, Any]]:
    """The wrong predictions, most confident first (ties in row order), optionally only those
    of one true and/or one predicted label: ``{row, text, true, predicted, confidence}``,
    ``row`` being the example's position among the validation rows looked at. A score's run:
    every row, the largest error first (:func:`~core.analysis.score_predictions.largest_errors`)."""
    if preds.scores:
        return largest_errors(preds)
    _check_label(preds, true_label, "true")
    _check_label(preds, predicted_label, "predicted")
    wrong = [
        {
            "row": i,
            "text": preds.texts[i],
            "true": preds.names(preds.truth[i]),
            "predicted": preds.names(preds.predicted[i]),
            "confidence": preds.confidence[i],
        }
        for i in range(len(preds))
        if preds.truth[i] != preds.predicted[i]
        and (true_label is None or preds.has(preds.truth[i], true_label))
        and (predicted_label is None or preds.has(preds.predicted[i], predicted_label))
    ]
    return sorted(wrong, key=lambda row: (-row["confidence"], row["row"]))


def disagreements(first: RunPredictions, second: RunPredictions) -> list[dict[str, Any]]:
    """The examples two runs label differently, most confident disagreement first:
    ``{row, text, true, first, first_confidence, second, second_confidence}``.

    DataError unless both runs were validated on the same rows (same dataset, validation split
    and sample).
    """
    if first.digest != second.digest or first.texts != second.texts:
        raise DataError(
            say("{first} and {second} were validated on different rows ({first_data}, "
                "{first_rows:,} rows; {second_data}, {second_rows:,} rows). Pick two runs "
                "trained on the same dataset with the same validation_fraction and seed",
                first=first.label, second=second.label, first_data=first.dataset,
                second_data=second.dataset, first_rows=len(first), second_rows=len(second))
        )  # fmt: skip
    if first.scores:
        return score_disagreements(first, second)
    truth = [first.names(t) for t in first.truth]
    rows = []
    for i, text in enumerate(first.texts):
        a, b = first.names(first.predicted[i]), second.names(second.predicted[i])
        if a != b:
            rows.append({
                "row": i, "text": text, "true": truth[i],
                "first": a, "first_confidence": first.confidence[i],
                "second": b, "second_confidence": second.confidence[i],
            })  # fmt: skip
    return sorted(
        rows, key=lambda r: (-max(r["first_confidence"], r["second_confidence"]), r["row"])
    )


def summary(preds: RunPredictions) -> dict[str, Any]:
    """Rows looked at, of how many, and how many were wrong (a score's run: its errors,
    :func:`~core.analysis.score_predictions.score_summary`)."""
    if preds.scores:
        return score_summary(preds)
    wrong = sum(t != p for t, p in zip(preds.truth, preds.predicted, strict=True))
    return {
        "rows": len(preds),
        "validation_rows": preds.validation_rows,
        "wrong": wrong,
        "accuracy": (len(preds) - wrong) / len(preds) if len(preds) else None,
    }
