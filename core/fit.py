"""Will a run fit this machine: its peak memory and time per epoch, estimated before it starts.

Everything here is arithmetic on the model's config (``AutoConfig`` values, or the same values
as a plain mapping) and the run's settings; no weight is built. The estimate's parts:

- **Weights.** The parameter count comes from the config (:func:`model_size`). Frozen weights
  count at the compute precision (2 bytes in bf16/fp16, where the run keeps them so:
  :func:`core.training.precision.frozen_in_compute_precision`), trainable ones in fp32.
- **Trainable state.** Each trainable parameter holds its fp32 weight, its fp32 gradient and
  AdamW's two fp32 moments: 16 bytes. Full fine-tuning trains every parameter; the other methods
  train a small share, taken at the high end of the share the method states
  (:attr:`core.methods.base.Method.typical_share`), plus the classifier head.
- **Activations** kept for the backward pass: ``batch x length x layers x (ACTIVATION_FACTOR x
  hidden + 2 x heads x length)`` values (the second term: attention scores and probabilities),
  4 bytes each whatever the precision (measured: a bf16 run kept 87% of the activation memory
  of an fp32 one, since autocast keeps norms, softmax and the residual stream in fp32 on a CPU).
  Gradient checkpointing keeps one ``batch x length x hidden`` input per layer and one layer's
  full activations instead. Head-only training back-propagates through no layer and keeps one
  layer's worth.
- **Loading.** While the weights load, the checkpoint file is read (memory-mapped, at the
  precision it was saved in: the config's ``dtype``, fp32 when it names none) beside the
  weights being built in memory; a frozen model in bf16 from an fp32 file peaks there, not in
  training (measured: a head-only Qwen2.5-0.5B run from an fp32 file peaked at 3.3 GB, its
  training at about 1.6). The estimate is the larger of the two peaks.
- **The process itself** (:data:`PROCESS_BYTES`): the libraries, the tokenizer, the data.

:data:`ACTIVATION_FACTOR` was calibrated once against the peak resident memory (``ru_maxrss``)
of three steps of the embedded MiniLM (all-MiniLM-L6-v2) on this project's 2-core CPU, random
token ids, AdamW:

======================================  ==========  =========
run                                     measured    estimated
======================================  ==========  =========
full, fp32, batch 32, length 128        2.48 GB     2.57 GB
full, bf16, batch 32, length 25         1.06 GB     1.07 GB
LoRA, bf16, batch 32, length 128        1.95 GB     2.26 GB
======================================  ==========  =========

so the estimate is within 20% there, on the high side. For other families the factor is not
calibrated (decoders' feed-forwards are wider, and they have no dropout): a guide, good for
refusing a run that cannot fit, not for packing memory to the last megabyte.

Time per epoch rests on a throughput measured on the embedded MiniLM on this project's CPU
(:data:`REFERENCE_SAMPLES_PER_SECOND`), scaled by the work per sample: the non-embedding
parameters times the row's tokens (the data's mean, not the longest allowed), times 6 for full
fine-tuning (forward, and a backward that makes the input and the weight gradients), 4 when the
backbone is frozen (no weight gradients), 2 for head-only training (forward only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from core.messages import Message, say

if TYPE_CHECKING:
    from core.config import TrainConfig

GB = 1e9

GATED_FAMILIES = frozenset(
    {"llama", "qwen2", "qwen3", "mistral", "mixtral", "gemma", "gemma2", "gemma3", "gemma3_text",
     "phi3", "olmo", "olmo2", "smollm3"}
)  # fmt: skip
"""Model types whose feed-forward is gated (three matrices: gate, up and down; two otherwise)."""

STORED_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2, "torch.float32": 4,
                "torch.bfloat16": 2, "torch.float16": 2}  # fmt: skip
"""Bytes per weight of a config's ``dtype`` (the precision its checkpoint was saved in)."""

ACTIVATION_FACTOR = 40
"""Values each layer keeps per token and hidden unit for the backward pass (queries, keys,
values, attention output, the feed-forward's wide activations counted in hidden units, norms,
dropout masks, and the allocator's slack), calibrated on MiniLM (the module's table)."""
ACTIVATION_BYTES = 4
"""Bytes per kept activation, in fp32 and under bf16 autocast alike (the module's notes)."""

PROCESS_BYTES = 0.6 * GB
"""Resident memory of a training process besides its model: Python, torch, transformers, the
tokenizer and the tokenized data (measured: a head-only run of the embedded MiniLM peaked at
0.63 GB, 0.05 of it weights)."""

REFERENCE_SAMPLES_PER_SECOND = {"cpu": 150.0, "cuda": 3000.0}
"""Full fine-tuning samples/s of all-MiniLM-L6-v2 on SST-2 sentences (:data:`REFERENCE_TOKENS`
tokens): measured on a quiet 2-core CPU in bf16. The CUDA figure is an assumption until a GPU
measures it (``python -m bench.gpu``). The basis of :func:`samples_per_second`; runs that
finished replace it in the app (``app.shared.estimate.measured_speed``)."""
REFERENCE_TOKENS = 25
"""Tokens per row of that reference (an SST-2 sentence)."""
REFERENCE_WORK = 6 * 10_600_000 * REFERENCE_TOKENS
"""Work of that reference (6 x MiniLM's 10.6M non-embedding parameters x its tokens)."""


@dataclass(frozen=True)
class ModelSize:
    """The dimensions of a transformer that decide its memory and work."""

    family: str
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    positions: int
    gated: bool
    stored_bytes: int = 4
    """Bytes per weight in the checkpoint file (the config's ``dtype``; fp32 when unnamed)."""

    @property
    def layer_parameters(self) -> int:
        """Weights of one layer: attention projections and the feed-forward (biases and norms
        are a fraction of a percent and left out)."""
        attention = 2 * self.hidden * self.heads * self.head_dim
        attention += 2 * self.hidden * self.kv_heads * self.head_dim
        return attention + (3 if self.gated else 2) * self.hidden * self.intermediate

    @property
    def embedding_parameters(self) -> int:
        learned_positions = 0 if self.gated else self.positions  # rotary models learn none
        return (self.vocab + learned_positions) * self.hidden

    @property
    def parameters(self) -> int:
        """All weights of the classifier (the head's few are left out)."""
        return self.embedding_parameters + self.layers * self.layer_parameters


def _first(config: Any, names: tuple[str, ...], default: Any = None) -> Any:
    for name in names:
        value = getattr(config, name, None)
        if value is not None:
            return value
    return default


def model_size(config: Any) -> ModelSize:
    """The dimensions of a model from its config: a transformers config or a mapping of the
    same keys (``hidden_size``, ``num_hidden_layers``, ... or GPT-2's ``n_embd``, ``n_layer``)."""
    if isinstance(config, Mapping):
        config = SimpleNamespace(**config)
    text = getattr(config, "text_config", None)  # a multimodal config holds the text model's
    if text is not None and getattr(config, "hidden_size", None) is None:
        config = SimpleNamespace(**text) if isinstance(text, Mapping) else text
    family = str(getattr(config, "model_type", "") or "")
    hidden = int(_first(config, ("hidden_size", "n_embd", "d_model", "dim")))
    heads = int(_first(config, ("num_attention_heads", "n_head", "n_heads"), 1))
    return ModelSize(
        family=family,
        hidden=hidden,
        layers=int(_first(config, ("num_hidden_layers", "n_layer", "n_layers"), 1)),
        heads=heads,
        kv_heads=int(_first(config, ("num_key_value_heads",), heads)),
        head_dim=int(_first(config, ("head_dim",), hidden // heads)),
        intermediate=int(_first(config, ("intermediate_size", "n_inner", "ffn_dim"), 4 * hidden)),
        vocab=int(_first(config, ("vocab_size",), 0)),
        positions=int(_first(config, ("max_position_embeddings", "n_positions"), 512)),
        gated=family in GATED_FAMILIES,
        stored_bytes=STORED_BYTES.get(str(_first(config, ("dtype", "torch_dtype"), "")), 4),
    )


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run is expected to take at its peak, by part."""

    frozen_weights: float
    trainable_states: float
    activations: float
    process: float
    loading: float = 0.0
    """The peak while the weights load: the checkpoint file beside the weights in memory."""

    @property
    def training(self) -> float:
        """The peak while training: weights, trainable states and activations."""
        return self.frozen_weights + self.trainable_states + self.activations

    @property
    def total(self) -> float:
        return self.process + max(self.training, self.loading)


@dataclass(frozen=True)
class MethodFacts:
    """What the estimate needs to know of a method (:class:`core.methods.base.Method`)."""

    trains_backbone: bool
    backward_through_layers: bool
    share: tuple[str, float, float] | None


def method_facts(method: str) -> MethodFacts:
    """The facts of the method named ``method``; an unknown name counts as a frozen backbone
    trained through its layers, with no stated share."""
    from core.methods import METHODS  # the registry imports torch; the arithmetic does not

    known = METHODS.get(method)
    if known is None:
        return MethodFacts(False, True, None)
    return MethodFacts(known.trains_backbone, known.backward_through_layers, known.typical_share)


def trainable_parameters(size: ModelSize, method: str, num_labels: int = 2) -> int:
    """Parameters a method trains on this model: all when it trains the backbone, the head for
    head-only, otherwise the head plus the high end of the method's stated share."""
    facts = method_facts(method)
    head = size.hidden * size.hidden + size.hidden * num_labels
    if facts.trains_backbone:
        return size.parameters + head
    share = facts.share
    return head + (int(size.parameters * share[2] / 100) if share else 0)


def compute_bytes(precision: str) -> int:
    """Bytes of one value at a resolved precision ("no", "bf16" or "fp16")."""
    return 4 if precision in ("no", "fp32") else 2


def estimate_memory(
    size: ModelSize, method: str, batch_size: int, max_length: int, precision: str,
    checkpointing: bool = False, num_labels: int = 2,
) -> MemoryEstimate:  # fmt: skip
    """Peak bytes of a run (see the module's notes for each part); ``precision`` is the
    resolved one ("no" for fp32, "bf16" or "fp16")."""
    value = compute_bytes(precision)
    facts = method_facts(method)
    trainable = trainable_parameters(size, method, num_labels)
    frozen = 0 if facts.trains_backbone else max(0, size.parameters - trainable)
    tokens = batch_size * max_length
    per_layer = tokens * (ACTIVATION_FACTOR * size.hidden + 2 * size.heads * max_length)
    if not facts.backward_through_layers:
        kept = per_layer
    elif checkpointing:
        kept = tokens * size.hidden * size.layers + per_layer
    else:
        kept = per_layer * size.layers
    return MemoryEstimate(
        frozen_weights=frozen * value,
        trainable_states=trainable * 16,
        activations=kept * ACTIVATION_BYTES,
        process=PROCESS_BYTES,
        loading=size.parameters * size.stored_bytes + frozen * value + trainable * 4,
    )


def samples_per_second(
    size: ModelSize, method: str, tokens: float = REFERENCE_TOKENS, device: str = "cpu"
) -> float:
    """Training rows per second expected of ``method`` on ``size`` at ``tokens`` tokens a row,
    scaled from the measured reference (:data:`REFERENCE_SAMPLES_PER_SECOND`) by the work per
    row (the module's notes)."""
    facts = method_facts(method)
    passes = 6 if facts.trains_backbone else 4 if facts.backward_through_layers else 2
    work = passes * size.layers * size.layer_parameters * max(tokens, 1.0)
    reference = REFERENCE_SAMPLES_PER_SECOND.get(device, REFERENCE_SAMPLES_PER_SECOND["cpu"])
    return reference * REFERENCE_WORK / max(work, 1.0)


def seconds_per_epoch(
    size: ModelSize, method: str, rows: int, tokens: float, device: str = "cpu"
) -> float:
    """Seconds one pass over ``rows`` training rows of ``tokens`` tokens on average takes
    (:func:`samples_per_second`)."""
    return rows / samples_per_second(size, method, tokens, device)


def available_bytes(device: str = "cpu") -> float:
    """Memory a new run can take now: the GPU's free memory for a CUDA device, else the host's
    available memory (what the kernel could give without swapping)."""
    if device.startswith("cuda"):
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return float(free)
    try:
        import psutil

        return float(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil comes with accelerate
        pages = os.sysconf("SC_AVPHYS_PAGES")
        return float(pages * os.sysconf("SC_PAGE_SIZE"))


def refusal(
    estimate: MemoryEstimate, available: float, method: str, checkpointing: bool = False
) -> Message | None:
    """Why a run will not fit (its figure and what to change), or None when it fits.
    Gradient checkpointing is offered where it saves memory and is not on yet."""
    if estimate.total <= available:
        return None
    facts = method_facts(method)
    recompute = facts.backward_through_layers and not checkpointing
    return say(
        "the run needs about {need:.1f} GB but {have:.1f} GB is available; choose a smaller "
        "model, a smaller batch size or max length{checkpointing}{peft}",
        need=estimate.total / GB, have=available / GB,
        checkpointing=say(", or turn on gradient checkpointing") if recompute else "",
        peft=say("; or train with LoRA or another PEFT method") if facts.trains_backbone else "",
    )  # fmt: skip


def summary_line(estimate: MemoryEstimate, available: float, epoch_seconds: float) -> str:
    """The estimate in one line, as the command line prints it before training."""
    minutes = max(epoch_seconds / 60, 0.1)
    return (
        f"Estimate: ~{estimate.total / GB:.1f} GB peak memory of {available / GB:.1f} GB "
        f"available; ~{minutes:.{0 if minutes >= 10 else 1}f} min per epoch on this machine"
    )


def run_line(
    config: TrainConfig, available: float, train_rows: int, max_length: int, mean_tokens: float,
    precision: str, device: str,
) -> str:  # fmt: skip
    """:func:`summary_line` of a run about to train ``train_rows`` rows of ``mean_tokens``
    tokens on average (memory at ``max_length``, the longest a batch can be); ``available`` is
    the memory there was before the run loaded anything."""
    from core.modeling import load_config  # transformers, only once a run is under way

    size = model_size(load_config(config.model))
    device_type = device.split(":")[0]
    memory = estimate_memory(
        size, config.method, config.batch_size, max_length, precision,
        config.gradient_checkpointing,
    )  # fmt: skip
    tokens = min(mean_tokens, max_length) if mean_tokens > 0 else max_length
    seconds = seconds_per_epoch(size, config.method, train_rows, tokens, device_type)
    return summary_line(memory, available, seconds)
