"""Known base models, encoders and decoders, with the config values that size them, so that a
model picker can suggest models by size and estimate each run without downloading anything.

Each entry holds the few ``config.json`` values :func:`core.fit.model_size` reads, copied from
the model's own config on the Hugging Face hub; parameters and memory are computed from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.fit import GB, estimate_memory, model_size, samples_per_second


@dataclass(frozen=True)
class KnownModel:
    """A base model the picker suggests: its hub id, kind and sizing config values."""

    model_id: str
    kind: str
    """"encoder" or "decoder"."""
    config: dict[str, Any]

    @property
    def family(self) -> str:
        return str(self.config["model_type"])

    @property
    def parameters(self) -> int:
        return model_size(self.config).parameters


def _bert(
    model_type: str, hidden: int, layers: int, heads: int, vocab: int, positions: int
) -> dict[str, Any]:
    return {"model_type": model_type, "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "intermediate_size": 4 * hidden, "vocab_size": vocab,
            "max_position_embeddings": positions}  # fmt: skip


def _decoder(
    model_type: str, hidden: int, layers: int, heads: int, kv_heads: int, intermediate: int,
    vocab: int, positions: int, **extra: Any,
) -> dict[str, Any]:  # fmt: skip
    return {"model_type": model_type, "hidden_size": hidden, "num_hidden_layers": layers,
            "num_attention_heads": heads, "num_key_value_heads": kv_heads,
            "intermediate_size": intermediate, "vocab_size": vocab,
            "max_position_embeddings": positions, **extra}  # fmt: skip


KNOWN_MODELS: tuple[KnownModel, ...] = (
    KnownModel("sentence-transformers/all-MiniLM-L6-v2", "encoder",
               _bert("bert", 384, 6, 12, 30522, 512)),
    KnownModel("bert-base-uncased", "encoder", _bert("bert", 768, 12, 12, 30522, 512)),
    KnownModel("roberta-base", "encoder", _bert("roberta", 768, 12, 12, 50265, 514)),
    KnownModel("microsoft/deberta-v3-base", "encoder",
               _bert("deberta-v2", 768, 12, 12, 128100, 512)),
    KnownModel("HuggingFaceTB/SmolLM2-135M", "decoder",
               _decoder("llama", 576, 30, 9, 3, 1536, 49152, 8192)),
    KnownModel("HuggingFaceTB/SmolLM2-360M", "decoder",
               _decoder("llama", 960, 32, 15, 5, 2560, 49152, 8192)),
    KnownModel("Qwen/Qwen2.5-0.5B", "decoder",
               _decoder("qwen2", 896, 24, 14, 2, 4864, 151936, 32768)),
    KnownModel("meta-llama/Llama-3.2-1B", "decoder",
               _decoder("llama", 2048, 16, 32, 8, 8192, 128256, 131072, head_dim=64)),
    KnownModel("google/gemma-3-1b-pt", "decoder",
               _decoder("gemma3_text", 1152, 26, 4, 1, 6912, 262144, 32768, head_dim=256)),
    KnownModel("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "decoder",
               _decoder("llama", 2048, 22, 32, 4, 5632, 32000, 2048)),
)  # fmt: skip
"""Smallest first within each kind; the picker sorts by parameters."""


@dataclass(frozen=True)
class Suggestion:
    """One row of the model picker's table."""

    model_id: str
    kind: str
    family: str
    parameters: int
    memory_gb: float
    fits: bool
    rows_per_second: float
    """Training rows per second expected on the device, for sentence-length rows."""


def suggestions(
    method: str, batch_size: int, max_length: int, precision: str,
    checkpointing: bool = False, available: float | None = None, device: str = "cpu",
) -> list[Suggestion]:  # fmt: skip
    """Every known model, smallest first, with the estimated peak memory of a run of
    ``method`` at this batch size, length and resolved precision ("no", "bf16" or "fp16");
    ``fits`` compares it with ``available`` bytes (every model fits when it is None), and the
    speed expected on ``device`` (:func:`core.fit.samples_per_second`)."""
    rows = []
    for known in sorted(KNOWN_MODELS, key=lambda m: m.parameters):
        size = model_size(known.config)
        total = estimate_memory(size, method, batch_size, max_length, precision,
                                checkpointing).total  # fmt: skip
        fits = available is None or total <= available
        speed = samples_per_second(size, method, device=device)
        rows.append(Suggestion(known.model_id, known.kind, known.family, size.parameters,
                               total / GB, fits, speed))  # fmt: skip
    return rows
