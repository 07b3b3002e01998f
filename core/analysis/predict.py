"""Prediction with one or many trained adapters over one shared copy of each base model."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForSequenceClassification

from core.data.batching import tokenize
from core.hardware import default_device, resolve_precision
from core.methods import get_method
from core.modeling import load_base
from core.training.artifacts import LoadedAdapter, load_adapter, read_meta
from core.training.evaluate import predict_logits


class Predictor:
    """Keeps loaded adapters; adapters on the same base share its weight tensors.

    The first adapter of a base model loads the base weights; every later one builds its module
    tree around those same tensors (``load_state_dict(assign=True)``), so ten adapters on
    MiniLM cost one MiniLM in memory plus ten adapters.
    """

    def __init__(self, batch_size: int = 64, precision: str = "auto") -> None:
        self.batch_size = batch_size
        self.device = default_device()
        self.precision = resolve_precision(precision, self.device)
        self._bases: dict[str, tuple[Any, dict[str, torch.Tensor]]] = {}
        self._adapters: dict[str, tuple[float, LoadedAdapter]] = {}
        self._lock = threading.Lock()

    def _fresh_base(self, name: str, labels: list[str]) -> torch.nn.Module:
        if name not in self._bases:
            loaded = load_base(name, labels)
            state = {
                k: v
                for k, v in loaded.model.state_dict().items()
                if not k.startswith(("classifier", "score"))
            }
            self._bases[name] = (loaded.model.config, state)
            return loaded.model
        config, state = self._bases[name]
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
            cached = self._adapters.get(key)
            if cached and cached[0] == stamp:
                return cached[1]
            meta = read_meta(Path(key))
            base = None
            if not get_method(meta["method"]).whole_model:
                base = self._fresh_base(meta["base_model"], list(meta["label_names"]))
            adapter = load_adapter(key, base=base)
            adapter.model.to(self.device)
            self._adapters[key] = (stamp, adapter)
            return adapter

    def logits(self, adapter: LoadedAdapter, texts: Sequence[str]) -> torch.Tensor:
        features = tokenize(adapter.tokenizer, texts, adapter.max_length)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16

        def autocast() -> torch.autocast:
            return torch.autocast(self.device, dtype=dtype, enabled=self.precision != "no")

        pad = adapter.tokenizer.pad_token_id or 0
        return predict_logits(adapter.model, features, self.batch_size, pad, self.device, autocast)

    def predict(
        self, texts: Sequence[str], adapters: Sequence[str | Path]
    ) -> dict[str, list[dict[str, Any]]]:
        """Per adapter folder, one {label, score, probabilities} per text, in input order."""
        texts = [str(t) for t in texts]
        results: dict[str, list[dict[str, Any]]] = {}
        for folder in adapters:
            adapter = self.load(folder)
            probs = torch.softmax(self.logits(adapter, texts), dim=-1) if texts else None
            rows = []
            for i in range(len(texts)):
                p = probs[i].tolist()
                best = max(range(len(p)), key=p.__getitem__)
                rows.append(
                    {
                        "label": adapter.label_names[best],
                        "score": p[best],
                        "probabilities": dict(zip(adapter.label_names, p, strict=True)),
                    }
                )
            results[str(folder)] = rows
        return results


_default: Predictor | None = None


def predict(
    texts: Sequence[str], adapters: Sequence[str | Path]
) -> dict[str, list[dict[str, Any]]]:
    """Labels and probabilities of every text under every adapter (see :class:`Predictor`)."""
    global _default
    if _default is None:
        _default = Predictor()
    return _default.predict(texts, adapters)
