"""Tokenising once, grouping similar lengths into batches, and padding each batch to its longest."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import torch
from transformers import PreTrainedTokenizerBase

MEGABATCH = 50  # batches whose examples are sorted together, as in LengthGroupedSampler


def tokenize(
    tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int
) -> list[dict[str, list[int]]]:
    """Token ids (and type ids when the model uses them) per text, truncated to max_length."""
    encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    keys = [k for k in ("input_ids", "token_type_ids") if k in encoded]
    return [{k: encoded[k][i] for k in keys} for i in range(len(texts))]


def length_grouped_batches(
    lengths: Sequence[int], batch_size: int, seed: int, epoch: int
) -> list[list[int]]:
    """Shuffled batches whose members have similar lengths, so padding wastes little.

    Indices are shuffled, cut into megabatches of ``MEGABATCH`` batches, sorted by length
    inside each, cut into batches, and the batch order shuffled again. Deterministic in
    (seed, epoch), which lets a resumed run replay the same order.
    """
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    size = batch_size * MEGABATCH
    batches = []
    for start in range(0, len(order), size):
        mega = sorted(order[start : start + size], key=lambda i: -lengths[i])
        batches += [mega[i : i + batch_size] for i in range(0, len(mega), batch_size)]
    rng.shuffle(batches)
    return batches


def process_part(batch: list[int], index: int, count: int) -> list[int]:
    """Process ``index``'s share of a batch split among ``count`` processes.

    Under ``accelerate launch`` every process takes part in every batch, so all of them do the
    same number of optimizer steps whatever the data's size: a process left without a step
    would wait forever for the others in the gradient all-reduce. A batch with fewer rows than
    processes lends a row twice.
    """
    if count == 1:
        return batch
    return batch[index::count] or [batch[index % len(batch)]]


def sorted_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Batches in descending length order, for evaluation and prediction."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def collate(features: Sequence[dict[str, list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad to the longest member; the attention mask marks real tokens."""
    width = max(len(f["input_ids"]) for f in features)
    batch: dict[str, torch.Tensor] = {}
    for key in features[0]:
        fill = pad_id if key == "input_ids" else 0
        rows = [f[key] + [fill] * (width - len(f[key])) for f in features]
        batch[key] = torch.tensor(rows, dtype=torch.long)
    mask = [[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in features]
    batch["attention_mask"] = torch.tensor(mask, dtype=torch.long)
    return batch


def iterate(
    features: Sequence[dict[str, list[int]]], batches: Sequence[list[int]], pad_id: int
) -> Iterator[tuple[list[int], dict[str, torch.Tensor]]]:
    for indices in batches:
        yield indices, collate([features[i] for i in indices], pad_id)
