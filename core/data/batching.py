"""Tokenising once, grouping similar lengths into batches, and padding each batch to its longest.

Tokenised texts are :class:`~core.data.tokens.Tokens` (compact arrays, see that module).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

import torch

from core.data.tokens import Tokens, tokenize

__all__ = ["Tokens", "iterate", "length_grouped_batches", "process_part", "sorted_batches",
           "to_device", "tokenize"]  # fmt: skip

MEGABATCH = 50  # batches whose examples are sorted together, as in LengthGroupedSampler


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


def iterate(
    features: Tokens, batches: Sequence[list[int]], pad_id: int
) -> Iterator[tuple[list[int], dict[str, torch.Tensor]]]:
    """Each batch's indices and its rows padded to the longest (see :meth:`Tokens.batch`)."""
    for indices in batches:
        yield indices, features.batch(indices, pad_id)


def to_device(tensors: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """A batch's tensors on ``device``. To a GPU they go from page-locked host memory without
    the host waiting for the copy (it is ordered before the kernels that read it), so the host
    prepares the next step meanwhile; elsewhere they are simply moved."""
    if device.type != "cuda":
        return {name: tensor.to(device) for name, tensor in tensors.items()}
    return {name: tensor.pin_memory().to(device, non_blocking=True)
            for name, tensor in tensors.items()}  # fmt: skip
