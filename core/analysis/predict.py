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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForSequenceClassification, PreTrainedModel

from core.analysis.batcher import Batcher
from core.cache import ByteLRU, size_of
from core.data.batching import tokenize
from core.hardware import default_device, lend_core, physical_cores, resolve_precision
from core.methods import get_method
from core.modeling import load_base
from core.training import jobs
from core.training.artifacts import LoadedAdapter, load_adapter, read_meta
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
"""Base weights and adapters kept loaded at most, in bytes; the least recently used go first
(a model larger than this is loaded again for each prediction)."""


class Predictor:
    """Keeps loaded adapters; adapters on the same base share its weight tensors.

    The first adapter of a base model loads the base weights; every later one builds its module
    tree around those same tensors (``load_state_dict(assign=True)``), so ten adapters on
    MiniLM cost one MiniLM in memory plus ten adapters. Bases and adapters are kept in a
    :class:`~core.cache.ByteLRU` of ``max_bytes``. ``window``: seconds the prediction worker
    waits for more requests (default :data:`WINDOWS`, by whether a run trains).
    """

    def __init__(
        self,
        batch_size: int = 64,
        precision: str = "auto",
        max_bytes: int = MODEL_CACHE_BYTES,
        window: float | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.device = default_device()
        self.precision = resolve_precision(precision, self.device)
        self._models = ByteLRU(max_bytes)
        self._lock = threading.Lock()  # loading
        self._forward_lock = threading.Lock()  # one forward pass at a time
        # A fast tokenizer refuses two threads at once ("Already borrowed") when its
        # truncation settings change: Compare or Why may tokenise while the worker does.
        self._tokenize_lock = threading.Lock()
        self.batcher = Batcher(self._predict_one, window=self._window if window is None else window)

    def _fresh_base(self, name: str, labels: list[str]) -> PreTrainedModel:
        cached = self._models.get(("base", name))
        if cached is None:
            loaded = load_base(name, labels)
            state = {
                k: v
                for k, v in loaded.model.state_dict().items()
                if not k.startswith(("classifier", "score"))
            }
            self._models.put(("base", name), (loaded.model.config, state), size_of(state))
            return loaded.model
        config, state = cached
        config = config.__class__.from_dict(config.to_dict())
        config.num_labels = len(labels)
        config.id2label = dict(enumerate(labels))
        config.label2id = {v: k for k, v in config.id2label.items()}
        model = AutoModelForSequenceClassification.from_config(config)
        model.load_state_dict(state, strict=False, assign=True)
        return model

    def load(self, folder: str | Path) -> LoadedAdapter:
        """The adapter in ``folder`` (cached until the folder's metadata changes)."""
        key = str(Path(folder).resolve())
        stamp = (Path(key) / "ptune_adapter.json").stat().st_mtime if Path(key).is_dir() else 0.0
        with self._lock:
            cached = self._models.get(("adapter", key))
            if cached and cached[0] == stamp:
                self._models.get(("base", cached[1].meta["base_model"]))  # in use: keep it
                return cached[1]
            meta = read_meta(Path(key))
            base = None
            shared: set[int] = set()
            if not get_method(meta["method"]).whole_model:
                base = self._fresh_base(meta["base_model"], list(meta["label_names"]))
                shared = {t.data_ptr() for t in base.state_dict().values()}
            adapter = load_adapter(key, base=base)
            adapter.model.to(self.device)
            own = [t for t in adapter.model.state_dict().values() if t.data_ptr() not in shared]
            self._models.put(("adapter", key), (stamp, adapter), size_of(own))
            return adapter

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

    def logits(self, adapter: LoadedAdapter, texts: Sequence[str]) -> torch.Tensor:
        with self._tokenize_lock:
            features = tokenize(adapter.tokenizer, texts, adapter.max_length)
        pad = adapter.tokenizer.pad_token_id or 0
        mixed = self.precision != "no" and (
            self.device != "cpu" or len(features.ids) >= CPU_AUTOCAST_MIN_TOKENS
        )
        return predict_logits(
            adapter.model, features, self.batch_size, pad, self.device,
            lambda: self._forward(mixed),
        )  # fmt: skip

    def _predict_one(self, folder: str, texts: list[str]) -> list[dict[str, Any]]:
        """{label, score, probabilities} per text under one adapter (on the worker thread)."""
        adapter = self.load(folder)
        if not texts:
            return []
        probs = torch.softmax(self.logits(adapter, texts).float(), dim=-1).tolist()
        rows = []
        for p in probs:
            best = max(range(len(p)), key=p.__getitem__)
            rows.append(
                {
                    "label": adapter.label_names[best],
                    "score": p[best],
                    "probabilities": dict(zip(adapter.label_names, p, strict=True)),
                }
            )
        return rows

    def predict(
        self, texts: Sequence[str], adapters: Sequence[str | Path]
    ) -> dict[str, list[dict[str, Any]]]:
        """Per adapter folder, one {label, score, probabilities} per text, in input order.

        Safe to call from many threads at once: concurrent calls are combined (see
        :mod:`core.analysis.batcher`) and each gets its own rows. A call with more texts than
        a combined batch holds (a batch file) runs in the caller's thread instead, so the
        short calls behind it are not held up.
        """
        keys = list(dict.fromkeys(str(folder) for folder in adapters))
        texts = [str(t) for t in texts]
        if len(texts) > self.batcher.max_rows:
            return {key: self._predict_one(key, texts) for key in keys}
        return self.batcher(keys, texts)

    def close(self) -> None:
        """Stop the prediction worker (it starts again on the next prediction)."""
        self.batcher.close()


_default: Predictor | None = None


def predict(
    texts: Sequence[str], adapters: Sequence[str | Path]
) -> dict[str, list[dict[str, Any]]]:
    """Labels and probabilities of every text under every adapter (see :class:`Predictor`)."""
    global _default
    if _default is None:
        _default = Predictor()
    return _default.predict(texts, adapters)
