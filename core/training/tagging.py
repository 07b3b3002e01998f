"""Training a tagger: a token classifier, each word's tag on its first sub-token.

:class:`TaggingTrainer` is the run of a dataset of tagged words (:mod:`core.tasks.tagging`).
It loads a token classifier (the base model with a fresh tag per token head), aligns each
sentence's tags to its sub-tokens (:func:`core.data.word_alignment.align_words`), trains on the
labelled tokens only and keeps the weights of the best entity F1 on validation
(:mod:`core.training.tagging_eval`). Every method wraps the token classifier as it wraps a
sequence classifier.
"""

from __future__ import annotations

from typing import Any

import torch

from core.data.batching import Tokens, to_device
from core.data.language import unread
from core.data.word_alignment import AlignedWords, align_words
from core.modeling import DEFAULT_MODEL
from core.training.run_setup import built
from core.training.tagging_eval import predict_tag_ids, tagging_metrics, token_labels, token_loss
from core.training.trainer import Trainer

SPLITS = {"eval": "validation", "test": "test"}


class TaggingTrainer(Trainer):
    """One run of tagged words; the loop and saving are :class:`Trainer`'s."""

    head = "token"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aligned: dict[str, AlignedWords] = {}
        """Each split's sub-tokens, token labels and words' first positions."""

    def _resolve_pooling(self, source: str, model_type: str) -> str:
        return "cls"  # a tag per token: no pooling of the sentence

    def tokenized(self, texts: list[Any]) -> Tokens:
        """Sentences (word lists) as sub-tokens; a split's tags go on first sub-tokens."""
        data = built(self.data, "data")
        splits = {"train": data.train, "validation": data.validation, "test": data.test}
        name = next((n for n, s in splits.items() if s is not None and s.texts is texts), "")
        tags = None
        if name:
            split = splits[name]
            tags = [[data.label_names[t] for t in row] for row in split.labels]  # type: ignore[union-attr]
        ids = {tag: i for i, tag in enumerate(data.label_names)}
        aligned = align_words(self.tokenizer, [list(w) for w in texts], self.max_length, tags, ids)
        if name:
            self.aligned[name] = aligned
        return Tokens.from_lists(aligned.input_ids)

    def _language_notices(self) -> list[str]:
        texts = [" ".join(words) for words in built(self.data, "data").train.texts]
        report = unread(
            self.tokenizer, texts, self.config.unknown_token_warning,
            self.config.model or DEFAULT_MODEL,
        )  # fmt: skip
        return [report.message()] if report else []

    def _batch_loss(
        self, model: torch.nn.Module, indices: list[int], batch: dict[str, torch.Tensor]
    ) -> torch.Tensor:
        rows = built(self.aligned["train"].labels, "token labels")
        labels = token_labels(rows, indices, batch["input_ids"].shape[1])
        batch = to_device({**batch, "labels": labels}, self.accelerator.device)
        labels = batch.pop("labels")
        with self.mixed.autocast():
            logits = model(**batch).logits
        return token_loss(logits, labels)

    def _evaluate(self, features: Tokens, labels: list[Any], prefix: str) -> dict[str, Any]:
        aligned = self.aligned[SPLITS[prefix]]
        rows = len(features)
        predicted, loss = predict_tag_ids(
            self._unwrapped(), features, self.config.batch_size * 2, self.pad_id,
            self.accelerator.device, self.mixed.autocast,
            built(aligned.labels, "token labels")[:rows],
        )  # fmt: skip
        names = built(self.data, "data").label_names
        return tagging_metrics(
            predicted, aligned.first_positions[:rows], labels[:rows], names, loss, prefix
        )
