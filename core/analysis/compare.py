"""Measured comparison of runs, and generalisation: accuracy on a dataset a run was not trained on.

:func:`compare_rows` reads everything from the store, so it works for runs trained in the app,
on the command line with ``--db``, or on another machine and imported. Per run:

* ``trainable_share``: trainable parameters as a percentage of all parameters while training
  (base model, method parameters and classifier head);
* ``adapter_bytes``: the size of the saved adapter folder (every file, as stored);
* ``train_samples_per_second``: training examples per second of training time (evaluations
  and checkpoint writes excluded);
* ``seconds_to_best``: wall-clock seconds from the run's start (the moment training began,
  after loading the model and tokenizing the data; for a resumed run, its latest start) to the
  moment its best periodic evaluation was recorded. Periodic evaluations and checkpoint writes
  before it count; ties go to the earliest evaluation. ``None`` without evaluations, or when
  the best came before a resume. ``best_step`` is that evaluation's step;
* ``dev_accuracy``: the final evaluation on the whole validation split, with the kept weights;
* ``transfer``: per second dataset, the cached result of :func:`evaluate_transfer`.

:func:`evaluate_transfer` caches its result as metric rows of split ``"transfer"`` named
``accuracy:<dataset>``, ``macro_f1:<dataset>`` and ``rows:<dataset>`` at the run's last step;
computing it again for the same dataset replaces them, and a run trained further afterwards
(resumed) no longer shows the old value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

from core.analysis.predict import Predictor
from core.analysis.tag_transfer import tagged_transfer
from core.config import ConfigBase, param
from core.data.loading import load_data
from core.data.splits import SPLIT_STEMS, DataBundle, TextSplit, members, stratified_sample
from core.errors import AdapterLoadError, DataError, PTuneError
from core.messages import Message, say
from core.tasks import AUTO, DEFAULT_TASK, TASKS, best_score, get_task
from core.tasks.metrics import multi_hot
from core.tasks.multi_label import thresholds_of
from core.training.artifacts import LoadedAdapter, input_task
from core.training.recording import adapter_folder
from storage.errors import AdapterNotFoundError, StorageError
from storage.store import Store

TRANSFER_SPLIT = "transfer"
TRANSFER_METRICS = ("accuracy", "macro_f1", "rows", "pearson", "spearman", "mse")
"""What a generalisation result may hold: a classifier's accuracy and macro-F1, a score's
Pearson, Spearman and mean squared error; rows evaluated."""
PREDICTABLE = ("succeeded", "stopped")
COLUMNS = ("run", "method", "share", "adapter", "speed", "to_best", "dev")
"""Column keys of :func:`compare_table`; one ``transfer:<dataset>`` column per second dataset
follows them."""


@dataclass
class TransferConfig(ConfigBase):
    """Settings of a generalisation evaluation."""

    max_rows: int = param(
        1000,
        "Evaluate on at most this many rows of the second dataset: a stratified sample "
        "(same label shares, seed 42) of its test split, else its validation file, else all of "
        "it; the whole split when it is smaller.",
        min=10,
        max=1_000_000,
        label="Rows to evaluate",
    )


# ----------------------------------------------------------------------------- datasets
def dataset_key(source: str | Path) -> str:
    """How a dataset is named in the cache: the resolved path of a local one, else the id."""
    text = str(source).strip()
    path = Path(text).expanduser()
    return str(path.resolve()) if text and path.exists() else text


def dataset_label(key: str) -> str:
    """A short name for tables: the last two parts of a path (``amazon-reviews/books``)."""
    path = Path(key)
    if not path.is_absolute():
        return key
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _has_validation_file(source: str) -> bool:
    folder = Path(source).expanduser()
    return folder.is_dir() and any(
        p.is_file() and p.stem.lower() in SPLIT_STEMS["validation"] for p in folder.iterdir()
    )


def transfer_split(bundle: DataBundle) -> tuple[str, TextSplit]:
    """The rows a generalisation evaluation uses: the labelled test split if there is one, else
    the validation file, else every row (a single file or a folder with only a train file)."""
    if bundle.test is not None:
        return "test", bundle.test
    source = bundle.source
    if _has_validation_file(source) or not Path(source).expanduser().exists():
        return "validation", bundle.validation  # a folder's dev file, or a hub split
    whole = TextSplit(
        bundle.train.texts + bundle.validation.texts, bundle.train.labels + bundle.validation.labels
    )
    return "all", whole


def load_transfer_data(source: str | Path, task: str = AUTO) -> DataBundle:
    """Load a second dataset (columns guessed as for training; ``task`` for a task the data
    cannot show, a score); DataError when unusable."""
    return load_data(source, task=task)


# ----------------------------------------------------------------------------- transfer
def run_label(run: dict[str, Any]) -> Message:
    """``run #3 (name)``, as messages about a run name it."""
    return say("run #{id} ({name})", id=run["id"], name=run["name"])


def said_status(status: str) -> Message:
    """A run's status (``succeeded``, ``failed``, ...) as a word of a sentence: the app's
    catalogue holds each status in the person's language."""
    return say(status)


def run_task(store: Store, run_id: int) -> str:
    """The task a second dataset is read as for a run: its own when ``auto`` cannot find it in
    data (a score), else auto."""
    with contextlib.suppress(PTuneError, StorageError):  # its evaluation says why
        task = input_task(adapter_folder(store, int(run_id)))
        if not task.auto_detected:
            return task.name
    return AUTO


def _check_run(store: Store, run_id: int, bundle: DataBundle) -> dict[str, Any]:
    run = store.get_run(run_id)
    if run["status"] not in PREDICTABLE:
        raise AdapterLoadError(
            say("{run} is {status} and has no trained adapter to evaluate; pick a run that "
                "succeeded or was stopped", run=run_label(run), status=said_status(run["status"]))
        )  # fmt: skip
    if dataset_key(run["dataset"]) == dataset_key(bundle.source):
        raise DataError(
            say("{run} was trained on {dataset}; generalisation is measured on a dataset the run "
                "was not trained on, so pick another one",
                run=run_label(run), dataset=dataset_label(dataset_key(bundle.source)))
        )  # fmt: skip
    return run


def _check_labels(
    run: dict[str, Any], run_labels: list[str], bundle: DataBundle, split: TextSplit
) -> None:
    """DataError when the dataset has labels the run cannot predict."""
    present = [bundle.label_names[i] for i in sorted({i for x in split.labels for i in members(x)})]
    missing = [name for name in present if name not in run_labels]
    if missing:
        raise DataError(
            say("{run} predicts the labels {labels}, but {dataset} has the labels {present} "
                "({missing} not among the run's). Pick a dataset labelled like the training data, "
                "or rename its labels to the run's label names",
                run=run_label(run), labels=run_labels, present=present, missing=missing,
                dataset=dataset_label(dataset_key(bundle.source)))
        )  # fmt: skip


def _check_task(run: dict[str, Any], task: str, bundle: DataBundle) -> None:
    """DataError when the dataset's rows are not of the task the run was trained on (text
    pairs for a one-text run, or the other way round)."""
    if bundle.task != task:
        raise DataError(
            say("{run} was trained on {task} data, and {dataset} holds {other} data ({reason}); "
                "pick a dataset of the run's task",
                run=run_label(run), task=task, other=bundle.task, reason=bundle.task_reason,
                dataset=dataset_label(dataset_key(bundle.source)))
        )  # fmt: skip


def _adapter(store: Store, run_id: int, predictor: Predictor) -> LoadedAdapter:
    try:
        return predictor.load(adapter_folder(store, run_id))
    except AdapterNotFoundError as exc:
        raise AdapterLoadError(str(exc)) from exc


def evaluate_transfer(
    store: Store,
    run_id: int,
    data: str | Path | DataBundle,
    *,
    max_rows: int = 1000,
    predictor: Predictor | None = None,
) -> dict[str, Any]:
    """Accuracy and macro-F1 of a run on a dataset it was not trained on; cached in the store.

    ``data`` is a dataset source (file, folder, hub id) or one already loaded with
    :func:`load_transfer_data`. Its labels are matched to the run's by name; rows beyond
    ``max_rows`` are left out by a stratified sample (seed 42). Macro-F1 averages over the
    labels present in the evaluated rows. Returns ``{dataset, label, split, rows, accuracy,
    macro_f1}``.

    Raises:
        ConfigError: ``max_rows`` out of range.
        DataError: the dataset cannot be loaded, is the run's own training data, or has labels
            the run does not know.
        AdapterLoadError: the run has no adapter (it failed or is still running).
    """
    settings = TransferConfig(max_rows=max_rows)
    bundle = (
        data if isinstance(data, DataBundle) else load_transfer_data(data, run_task(store, run_id))
    )
    run = _check_run(store, run_id, bundle)
    split_name, split = transfer_split(bundle)
    predictor = predictor or Predictor()
    adapter = _adapter(store, run_id, predictor)
    _check_task(run, adapter.task, bundle)
    if get_task(adapter.task).tags_words:  # words tagged right and entity F1
        folder = adapter_folder(store, run_id)
        rows, accuracy, f1 = tagged_transfer(
            bundle, split, folder, list(adapter.label_names), predictor, settings.max_rows
        )
        return _transferred(store, run, bundle, split_name, rows,
                            {"accuracy": accuracy, "macro_f1": f1})  # fmt: skip
    if get_task(adapter.task).label_kind != "number":
        _check_labels(run, list(adapter.label_names), bundle, split)
    if len(split) > settings.max_rows:
        split = stratified_sample(split, settings.max_rows, seed=42)
    scores = _scores(adapter, bundle, split, predictor)
    return _transferred(store, run, bundle, split_name, len(split), scores)


def _transferred(
    store: Store, run: dict[str, Any], bundle: DataBundle, split: str, rows: int,
    scores: dict[str, float],
) -> dict[str, Any]:  # fmt: skip
    """The generalisation result (cached in the store): ``scores`` are accuracy and macro-F1
    (a tagger's ``macro_f1`` is its entity F1; a score run's are its own, :func:`_scores`)."""
    key = dataset_key(bundle.source)
    result = {"dataset": key, "label": dataset_label(key), "split": split, "rows": rows,
              **scores}  # fmt: skip
    _cache(store, run, key, result)
    return result


def _scores(
    adapter: LoadedAdapter, bundle: DataBundle, split: TextSplit, predictor: Predictor
) -> dict[str, float]:
    """Accuracy and macro-F1 over the labels present in ``split``; with several labels per
    text, exact-match accuracy and macro-F1 deciding each label at the run's threshold."""
    index = {name: i for i, name in enumerate(adapter.label_names)}
    logits = predictor.logits(adapter, split.texts)
    if get_task(adapter.task).label_kind == "number":
        scores = get_task(adapter.task).metrics(logits, split.labels, adapter.label_names, "x")
        return {k: float(scores[f"x_{k}"]) for k in ("pearson", "spearman", "mse")}
    if get_task(adapter.task).label_kind == "set":
        ids = [[index[bundle.label_names[i]] for i in row] for row in split.labels]
        truth = multi_hot(ids, len(index))
        thresholds = thresholds_of(adapter.meta, adapter.label_names)
        predicted = (logits.float().sigmoid().numpy() >= thresholds).astype(int)
        present = sorted({i for row in ids for i in row})
        return {
            "accuracy": float((truth == predicted).all(axis=1).mean()),
            "macro_f1": float(
                f1_score(truth[:, present], predicted[:, present], average="macro",
                         zero_division=0)
            ),
        }  # fmt: skip
    flat = [index[bundle.label_names[i]] for i in split.labels]
    chosen = logits.argmax(-1).tolist()
    return {
        "accuracy": float(accuracy_score(flat, chosen)),
        "macro_f1": float(
            f1_score(flat, chosen, labels=sorted(set(flat)), average="macro", zero_division=0)
        ),
    }


def _final_step(store: Store, run: dict[str, Any]) -> int:
    steps = (run.get("metrics") or {}).get("steps")
    return int(steps) if steps is not None else max(0, store.last_step(run["id"]))


def _cache(store: Store, run: dict[str, Any], key: str, result: dict[str, Any]) -> None:
    names = [f"{metric}:{key}" for metric in TRANSFER_METRICS]
    step = _final_step(store, run)
    store.delete_metrics(run["id"], TRANSFER_SPLIT, names)
    store.append_metrics(
        run["id"],
        [
            {"step": step, "split": TRANSFER_SPLIT, "name": name, "value": result[metric]}
            for metric, name in zip(TRANSFER_METRICS, names, strict=True)
            if metric in result
        ],
    )


# ----------------------------------------------------------------------------- comparison
def best_metric(run: dict[str, Any]) -> str:
    """The metric that ranks ``run`` (its task's; runs from before tasks: accuracy)."""
    task = str((run.get("metrics") or {}).get("task") or DEFAULT_TASK)
    return TASKS[task].best_metric if task in TASKS else "eval_accuracy"


def _timestamp(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def time_to_best(
    run: dict[str, Any], eval_rows: Sequence[dict[str, Any]]
) -> tuple[int | None, float | None]:
    """(step, seconds from the run's start) of its best periodic score: its task's best metric
    (``eval_accuracy``; several labels per text: ``eval_f1``)."""
    metric = best_metric(run)
    accuracies = [r for r in eval_rows if r["name"] == metric and r["value"] is not None]
    if not accuracies:
        return None, None
    best = max(accuracies, key=lambda r: (r["value"], -r["step"]))
    started = _timestamp(run.get("started_at"))
    if started is None or best.get("time") is None or best["time"] < started:
        return int(best["step"]), None
    return int(best["step"]), float(best["time"]) - started


def _transfer(store: Store, run: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Cached generalisation results still valid for the run's adapter, by dataset."""
    found: dict[str, dict[str, float]] = {}
    step = _final_step(store, run)
    for row in store.read_metrics(run["id"], split=TRANSFER_SPLIT):
        metric, _, key = row["name"].partition(":")
        if row["step"] == step and metric in TRANSFER_METRICS and key:
            found.setdefault(key, {})[metric] = row["value"]
    return {
        key: values for key, values in found.items() if "accuracy" in values or "pearson" in values
    }


def _adapter_bytes(store: Store, run: dict[str, Any]) -> int | None:
    try:
        return int(store.adapter_info(run["id"])["size"])
    except AdapterNotFoundError:
        size = (run.get("metrics") or {}).get("adapter_bytes")
        return int(size) if size else None


def _speed(store: Store, run: dict[str, Any]) -> float | None:
    summary = (run.get("metrics") or {}).get("train_samples_per_second")
    if summary:
        return float(summary)
    rows = [
        r
        for r in store.read_metrics(run["id"], split="train")
        if r["name"] == "samples_per_second" and r["value"]
    ]
    return float(rows[-1]["value"]) if rows else None


def compare_row(store: Store, run_id: int) -> dict[str, Any]:
    """One run's comparison figures (see the module docstring); ``None`` where not measured."""
    run = store.get_run(run_id)
    summary = run.get("metrics") or {}
    trainable = run.get("trainable_params") or summary.get("trainable_params")
    total = run.get("total_params") or summary.get("total_params")
    best_step, seconds = time_to_best(run, store.read_metrics(run_id, split="eval"))
    return {
        "run_id": run_id,
        "name": run["name"],
        "method": run["method"],
        "status": run["status"],
        "error": run.get("error"),
        "precision": summary.get("precision"),
        "trainable_params": trainable,
        "total_params": total,
        "trainable_share": 100 * trainable / total if trainable and total else None,
        "adapter_bytes": _adapter_bytes(store, run),
        "train_samples_per_second": _speed(store, run),
        "best_step": best_step,
        "seconds_to_best": seconds,
        "dev_accuracy": summary.get("eval_accuracy"),
        "dev_f1": summary.get("eval_f1"),
        "dev_score": best_score(summary),
        "transfer": _transfer(store, run),
    }


def compare_rows(store: Store, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The comparison figures of each run, in the given order; RunNotFoundError for a bad id."""
    return [compare_row(store, int(run_id)) for run_id in run_ids]


# ----------------------------------------------------------------------------- table
def transfer_keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Every second dataset evaluated for any of ``rows``, in first-seen order."""
    return list(dict.fromkeys(key for row in rows for key in row["transfer"]))


def human_bytes(n: float) -> str:
    """``292 KB``, ``2.3 MB``: binary units, three significant digits at most."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" or n >= 10 else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def seconds_text(seconds: float) -> str:
    """``0.4 s``, ``95 s``, ``12.5 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 600 else f"{seconds / 60:.1f} min"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _score_cell(figures: dict[str, Any]) -> str:
    """A result's cell: accuracy as a share, a score's run as its Pearson correlation."""
    if figures.get("accuracy") is None and figures.get("pearson") is not None:
        return f"r={figures['pearson']:.3f}"
    return _percent(figures.get("accuracy"))


def _cells(row: dict[str, Any], keys: Sequence[str]) -> list[str]:
    share = "" if row["trainable_share"] is None else f"{row['trainable_share']:.3g}%"
    if row["trainable_params"]:
        share += f" ({row['trainable_params']:,})"
    seconds, step = row["seconds_to_best"], row["best_step"]
    to_best = "" if seconds is None else seconds_text(seconds)
    if step is not None:
        to_best = f"{to_best} (step {step})".strip()
    speed = row["train_samples_per_second"]
    size = row["adapter_bytes"]
    cells = [
        f"#{row['run_id']} {row['name']}",
        row["method"],
        share,
        "" if size is None else human_bytes(size),
        "" if speed is None else f"{speed:.0f}",
        to_best,
        _score_cell({"accuracy": row["dev_accuracy"], "pearson": row.get("dev_score")}),
    ]
    return cells + [_score_cell(row["transfer"].get(key, {})) for key in keys]


def compare_table(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Column keys (:data:`COLUMNS` then ``transfer:<dataset>``) and text cells, one row per
    run: the table the app shows and the benchmark writes."""
    keys = transfer_keys(rows)
    return [*COLUMNS, *(f"transfer:{key}" for key in keys)], [_cells(r, keys) for r in rows]
