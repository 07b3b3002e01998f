"""Prediction with one or many trained adapters over one shared copy of each base model.

Every prediction goes through one worker thread (:mod:`core.analysis.batcher`): requests that
arrive together share one forward pass per adapter. Every forward pass, the worker's and those
of :meth:`Predictor.logits` callers (Compare, Why), takes the predictor's forward lock one batch
at a time, so passes never overlap (a model's hooks hold one batch's state) yet a long
evaluation lets predictions in between its batches. While a run trains on the CPU, passes use
one thread, leaving the other cores to the run.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

from core.analysis.batcher import Batcher
from core.analysis.residency import (
    DeviceBudget,
    ModelCache,
    module_tensors,
    refusal,
    storages,
    tensor_bytes,
)
from core.analysis.tag_predict import tag_rows
from core.data.batching import tokenize
from core.hardware import default_device, lend_core, physical_cores, resolve_precision
from core.methods import get_method
from core.modeling import HEADS as MODEL_HEADS
from core.modeling import head_of, load_base
from core.tasks import get_task
from core.training import jobs
from core.training.artifacts import LoadedAdapter, input_task, load_adapter, read_meta
from core.training.evaluate import predict_logits

CPU_AUTOCAST_MIN_TOKENS = 64
"""On a CPU, a prediction of fewer tokens than this (all its texts together) runs in fp32 even
when the precision is bf16: autocast converts every weight at each pass, which costs more than
bf16 saves on a sentence or two (measured on MiniLM: one sentence 18 ms in fp32 against 29 ms,
eight 37 against 31). The crossover depends on tokens, not on the model's size, as both costs
grow with its weights."""

WINDOWS = {"idle": 0.003, "training": 0.02}
"""Seconds the prediction worker waits for more requests after the first: a few ms when the
device is free, longer while a run trains beside the predictions, where every pass costs the
run and fewer, larger passes cost it less (measured with ten clients: 10% fewer prediction CPU
seconds, and lower latency too, as the passes queue less)."""

MODEL_CACHE_BYTES = 2 * 2**30
"""Base weights and adapters kept loaded in host memory at most, in bytes; the least recently
used go first (a model larger than this is loaded again for each prediction). On a GPU the
models count against the device budget instead (:class:`~core.analysis.residency.DeviceBudget`)."""

HEADS = ("classifier", "score")
"""Names of a classifier's task head: each adapter has its own, never the base's."""


class Predictor:
    """Keeps loaded adapters; adapters on the same base share one copy of its weights.

    The first adapter of a base model loads the base weights onto the predictor's device; every
    later one builds its module tree around those same tensors (``load_state_dict(assign=True)``),
    so ten adapters on MiniLM cost one MiniLM in memory plus ten adapters, on the CPU as on a
    GPU. Bases and adapters are kept in a :class:`~core.analysis.residency.ModelCache`: bytes on
    the host within ``max_bytes``, bytes on a GPU within ``device_budget`` (default
    :class:`~core.analysis.residency.DeviceBudget`, which leaves a run training on that GPU
    most of its memory). ``window``: seconds the prediction worker waits for more requests
    (default :data:`WINDOWS`, by whether a run trains).
    """

    def __init__(
        self,
        batch_size: int = 64,
        precision: str = "auto",
        max_bytes: int = MODEL_CACHE_BYTES,
        window: float | None = None,
        device_budget: DeviceBudget | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.device = default_device()
        self.precision = resolve_precision(precision, self.device)
        self.device_budget = device_budget or DeviceBudget()
        self.models = ModelCache(max_bytes, lambda held: self.device_budget(self.device, held))
        self._lock = threading.Lock()  # loading
        self._forward_lock = threading.Lock()  # one forward pass at a time
        # A fast tokenizer refuses two threads at once ("Already borrowed") when its
        # truncation settings change: Compare or Why may tokenise while the worker does.
        self._tokenize_lock = threading.Lock()
        self.batcher = Batcher(self._predict_one, window=self._window if window is None else window)

    def _base(
        self, name: str, labels: list[str], head: str = "sequence"
    ) -> tuple[PreTrainedModel, Hashable | None, set[int]]:
        """A classifier for ``labels`` (of kind ``head``, :data:`core.modeling.HEADS`) on the
        predictor's device around the kept weights of the base ``name`` (loaded and kept
        first); with the weights' cache key and storages, or None and none when they cannot be
        kept (then the classifier holds its own)."""
        key: Hashable = ("base", name) if head == "sequence" else ("base", name, head)
        cached = self.models.get(key)
        if cached is not None:
            config, state, shared = cached
            return self._around(config, state, labels, head), key, shared
        model = load_base(name, labels, head=head).model
        need = sum(tensor_bytes(module_tensors(model)))
        if not self._room(need):
            self._refuse_beside_a_run(need)
        self._place(model)
        state = {k: v for k, v in model.state_dict().items() if not k.startswith(HEADS)}
        shared = storages(state.values())
        if self.models.put(key, (model.config, state, shared), *tensor_bytes(state.values())):
            return model, key, shared
        return model, None, set()  # used for this prediction, not kept

    def _around(
        self, config: PretrainedConfig, state: dict[str, torch.Tensor], labels: list[str],
        head: str = "sequence",
    ) -> PreTrainedModel:  # fmt: skip
        """A fresh classifier for ``labels`` whose base tensors are those of ``state``."""
        config = config.__class__.from_dict(config.to_dict())
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {v: k for k, v in config.id2label.items()}
        model = MODEL_HEADS[head].from_config(config)
        model.load_state_dict(state, strict=False, assign=True)
        self._place(model)  # the fresh head and the buffers outside the state
        return model

    def _place(self, model: nn.Module) -> None:
        """Move ``model`` to the predictor's device; tensors already there stay where they are
        (shared, not copied)."""
        model.to(self.device)

    def load(self, folder: str | Path) -> LoadedAdapter:
        """The adapter in ``folder`` (cached until the folder's metadata changes).

        :class:`~core.errors.BusyError` when a run trains on the predictor's GPU and the
        adapter with its base does not fit in what the run leaves predictions.
        """
        key = str(Path(folder).resolve())
        stamp = (Path(key) / "ptune_adapter.json").stat().st_mtime if Path(key).is_dir() else 0.0
        with self._lock:
            cached = self.models.get(("adapter", key))
            if cached and cached[0] == stamp:
                self._keep(("adapter", key))  # a run may have started on the GPU since
                return cached[1]
            meta = read_meta(Path(key))
            base, base_key, shared = None, None, set[int]()
            if not get_method(meta["method"]).whole_model:
                base, base_key, shared = self._base(
                    meta["base_model"], list(meta["label_names"]), head_of(meta.get("task"))
                )
            adapter = load_adapter(key, base=base)
            self._keep_new(("adapter", key), (stamp, adapter), adapter.model, shared, base_key)
            return adapter

    def _keep_new(
        self, key: Hashable, value: Any, model: nn.Module, shared: set[int], base: Hashable | None
    ) -> None:
        """Move ``model`` (built around the base ``base``, whose storages are ``shared``) to the
        device and keep ``value``, room made first: a whole model is refused beside a run
        before it is moved, not after."""
        need = sum(tensor_bytes(module_tensors(model), shared))
        if self._room(need, keep=() if base is None else [base]):
            self._place(model)
            host, device = tensor_bytes(module_tensors(model), shared)
            if self.models.put(key, value, host, device, base):
                return
        self._refuse_beside_a_run(need + (self.models.footprint(base) if base else 0))
        self._place(model)  # used for this prediction, not kept

    def _room(self, need: int, keep: Sequence[Hashable] = ()) -> bool:
        """Whether ``need`` more bytes on the predictor's device fit, once the least recently
        used models but ``keep`` are dropped (nothing is dropped when they cannot fit)."""
        if self.device == "cpu":
            return self.models.make_room(need, 0, keep)
        return self.models.make_room(0, need, keep)

    def _keep(self, key: Hashable) -> None:
        """Bring the kept models within the budgets as they are now, ``key`` last; when it does
        not fit even alone, drop it, and refuse it beside a run."""
        if self.models.fit(keep=[key]):
            return
        need = self.models.footprint(key)
        self.models.pop(key)
        self.models.fit()
        self._refuse_beside_a_run(need)

    def _refuse_beside_a_run(self, need: int) -> None:
        """BusyError when a run trains on the predictor's GPU: ``need`` bytes do not fit."""
        if self.device_budget.training(self.device):
            budget = self.device_budget(self.device, self.models.device_bytes)
            raise refusal(self.device, need, budget)

    def _training(self) -> bool:
        """Whether a run trains on this predictor's CPU now."""
        return self.device == "cpu" and jobs.current("cpu") is not None

    def _window(self) -> float:
        return WINDOWS["training" if self._training() else "idle"]

    def threads(self) -> int:
        """CPU threads for the next forward pass: one while a run trains on this CPU, which
        lends it a core meanwhile (:func:`core.hardware.lend_core`), else every physical
        core."""
        if self._training():
            lend_core()
            return 1
        return physical_cores()

    @contextlib.contextmanager
    def _forward(self, mixed: bool) -> Iterator[None]:
        """One batch's forward pass: under the lock, on :meth:`threads`, in the precision when
        ``mixed``."""
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        with self._forward_lock:
            wanted = self.threads()
            if self.device == "cpu" and torch.get_num_threads() != wanted:
                torch.set_num_threads(wanted)  # this thread's count (and new threads' default)
            with torch.autocast(self.device, dtype=dtype, enabled=mixed):
                yield

    def logits(self, adapter: LoadedAdapter, texts: Sequence[Any]) -> torch.Tensor:
        """Logits of ``texts`` (a pair task's: ``(text, text_pair)`` rows) under ``adapter``."""
        rows = get_task(adapter.task).for_inputs(adapter.meta.get("inputs")).rows(texts)
        return self.row_logits(adapter, rows)

    def row_logits(self, adapter: LoadedAdapter, rows: Sequence[Any]) -> torch.Tensor:
        """Logits of ``rows`` already in the shape the adapter's task encodes, not checked as
        a person's rows are (Why takes out a pair's second text's only word, leaving it empty)."""
        with self._tokenize_lock:
            features = tokenize(adapter.tokenizer, rows, adapter.max_length, adapter.task)
        pad = adapter.tokenizer.pad_token_id or 0
        mixed = self.precision != "no" and (
            self.device != "cpu" or len(features.ids) >= CPU_AUTOCAST_MIN_TOKENS
        )
        return predict_logits(
            adapter.model, features, self.batch_size, pad, self.device,
            lambda: self._forward(mixed),
        )  # fmt: skip

    def _predict_one(self, folder: str, texts: list[Any]) -> list[dict[str, Any]]:
        """One prediction per text under one adapter (on the worker thread), as its task
        presents it (:meth:`~core.tasks.base.Task.present`): {label, score, probabilities},
        and a multi-label adapter's labels and thresholds."""
        adapter = self.load(folder)
        if not texts:
            return []
        task = get_task(adapter.task)
        if task.tags_words:  # words, tags and entities per sentence
            rows = task.rows(texts)
            with self._tokenize_lock:
                return tag_rows(
                    adapter,
                    rows,
                    self.batch_size,
                    self.device,
                    lambda: self._forward(self.device != "cpu"),
                )
        probs = task.probabilities(self.logits(adapter, texts).float()).tolist()
        return [task.present(p, adapter.label_names, adapter.meta) for p in probs]

    def predict(
        self, texts: Sequence[Any], adapters: Sequence[str | Path]
    ) -> dict[str, list[dict[str, Any]]]:
        """Per adapter folder, one {label, score, probabilities} per text, in input order.

        Safe to call from many threads at once: concurrent calls are combined (see
        :mod:`core.analysis.batcher`) and each gets its own rows. A call with more texts than
        a combined batch holds (a batch file) runs in the caller's thread instead, so the
        short calls behind it are not held up. A pair task's adapters take ``(text,
        text_pair)`` rows (:class:`~core.errors.InputError` for a row of another shape).
        """
        keys = list(dict.fromkeys(str(folder) for folder in adapters))
        texts = [tuple(map(str, t)) if isinstance(t, (tuple, list)) else str(t) for t in texts]
        for key in keys:
            input_task(key).rows(texts)
        if len(texts) > self.batcher.max_rows:
            return {key: self._predict_one(key, texts) for key in keys}
        return self.batcher(keys, texts)

    def close(self) -> None:
        """Stop the prediction worker (it starts again on the next prediction)."""
        self.batcher.close()


_default: Predictor | None = None


def predict(
    texts: Sequence[Any], adapters: Sequence[str | Path]
) -> dict[str, list[dict[str, Any]]]:
    """Labels and probabilities of every text under every adapter (see :class:`Predictor`)."""
    global _default
    if _default is None:
        _default = Predictor()
    return _default.predict(texts, adapters)
