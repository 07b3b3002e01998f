"""Evaluating a tagger: the model's tag for each word, and entity-level scores.

A prompt method that prepends virtual tokens (prompt tuning, P-Tuning v1) gets logits for
them too: the model's outputs are ``prompt + real`` positions long, and only the last ``real``
ones belong to the input's tokens (:func:`real_positions`). A deep prompt (P-Tuning v2) adds
keys and values, no positions. Each word's tag is read on its first sub-token; a word cut off
by the length gets ``O`` (:func:`core.data.word_alignment.word_tags`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import nn
from torch.nn import functional as F

from core.analysis.entities import entity_scores
from core.data.batching import Tokens, iterate, sorted_batches, to_device
from core.data.word_alignment import IGNORE, word_tags


def real_positions(logits: torch.Tensor, width: int) -> torch.Tensor:
    """The logits of the input's own ``width`` tokens: the last ``width`` positions (a prompt's
    virtual tokens come first and are dropped)."""
    return logits[:, logits.shape[1] - width :]


def token_labels(rows: Sequence[Sequence[int]], indices: Sequence[int], width: int) -> torch.Tensor:
    """Token label ids of the rows ``indices``, padded with :data:`IGNORE` to ``width``."""
    out = torch.full((len(indices), width), IGNORE, dtype=torch.long)
    for place, index in enumerate(indices):
        row = rows[index]
        out[place, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out


def token_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the labelled tokens (first sub-tokens), in fp32."""
    real = real_positions(logits, labels.shape[1]).float()
    return F.cross_entropy(
        real.reshape(-1, real.shape[-1]), labels.reshape(-1), ignore_index=IGNORE
    )


@torch.no_grad()
def predict_tag_ids(
    model: nn.Module, features: Tokens, batch_size: int, pad_id: int,
    device: torch.device | str = "cpu",
    autocast: Callable[[], AbstractContextManager] | None = None,
    labels: Sequence[Sequence[int]] | None = None,
) -> tuple[list[list[int]], float]:  # fmt: skip
    """The predicted tag id at each real token of each row (input order), and the mean loss
    over the labelled tokens when token ``labels`` are given (else 0)."""
    was_training = model.training
    if was_training:
        model.eval()
    out: list[list[int]] = [[] for _ in range(len(features))]
    total, count = 0.0, 0
    lengths = features.lengths.tolist()
    for indices, batch in iterate(features, sorted_batches(lengths, batch_size), pad_id):
        width = batch["input_ids"].shape[1]
        batch = to_device(batch, torch.device(device))
        with autocast() if autocast else nullcontext():
            logits = real_positions(model(**batch).logits, width).float()
        if labels is not None:
            target = token_labels(labels, indices, width).to(logits.device)
            known = int((target != IGNORE).sum())
            if known:
                total += float(token_loss(logits, target)) * known
                count += known
        predicted = logits.argmax(-1).cpu().tolist()
        for place, index in enumerate(indices):
            out[index] = predicted[place][: lengths[index]]
    if was_training:
        model.train()
    return out, total / count if count else 0.0


def tagging_metrics(
    predicted: Sequence[Sequence[int]], first_positions: Sequence[Sequence[int | None]],
    gold: Sequence[Sequence[int]], tag_names: Sequence[str], loss: float, prefix: str = "eval",
) -> dict[str, float]:  # fmt: skip
    """Entity-level precision, recall and F1 (CoNLL scoring), word accuracy and the loss."""
    guessed = [
        word_tags(ids, firsts, tag_names)
        for ids, firsts in zip(predicted, first_positions, strict=True)
    ]
    truth = [[tag_names[tag] for tag in tags] for tags in gold]
    scores = entity_scores(truth, guessed).overall
    words = sum(len(tags) for tags in truth)
    right = sum(
        a == b for t, g in zip(truth, guessed, strict=True) for a, b in zip(t, g, strict=True)
    )
    return {
        f"{prefix}_loss": loss,
        f"{prefix}_f1": scores.f1,
        f"{prefix}_precision": scores.precision,
        f"{prefix}_recall": scores.recall,
        f"{prefix}_accuracy": right / words if words else 0.0,
    }
