"""Device, precision and thread choices."""

from __future__ import annotations

import os
import threading
import time
from functools import lru_cache

import torch

from core.errors import ConfigError
from core.messages import say


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """True when the CPU computes bf16 natively (AVX512-BF16 or AMX), where autocast pays off."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            flags = info.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_precision(requested: str, device: str) -> str:
    """Map 'auto' | 'fp32' | 'bf16' | 'fp16' to what accelerate's ``mixed_precision`` takes."""
    if requested == "auto":
        if device == "cuda":
            # Native bf16 only (compute capability 8.0 on): V100s and T4s report bf16 as
            # supported, through emulation, which trains several times slower than fp16.
            native = torch.cuda.is_bf16_supported(including_emulation=False)
            return "bf16" if native else "fp16"
        return "bf16" if cpu_has_bf16() else "no"
    if requested == "fp16" and device == "cpu":
        raise ConfigError(say("precision=fp16 needs a GPU; on a CPU use bf16 or fp32"))
    return {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}[requested]


def fast_fp32_matmuls(device: torch.device, precision: str) -> None:
    """An fp32 run on a CUDA GPU multiplies in TF32 (Ampere and newer): a 10-bit mantissa in
    the matrix units, fp32 everywhere else, as PyTorch's own training recipes do; about 8x the
    fp32 throughput of an A100 and more on an H100. Nothing changes on a CPU or in bf16/fp16."""
    if device.type == "cuda" and precision == "no":
        torch.set_float32_matmul_precision("high")


def physical_cores() -> int:
    try:
        import psutil

        cores = psutil.cpu_count(logical=False)
    except ImportError:  # pragma: no cover - psutil comes with accelerate
        cores = None
    return max(1, cores or os.cpu_count() or 1)


# ----------------------------------------------------------------------------- sharing cores
LEND_SECONDS = 1.0
"""How long a prediction keeps a core from a training run after it ends, so that a burst of
predictions with gaps between them (each waits for its HTTP request) keeps it throughout."""

_lent_until = 0.0
_lent_lock = threading.Lock()


def lend_core(seconds: float = LEND_SECONDS) -> None:
    """A prediction runs beside a training run: the run trains on one thread fewer until
    ``seconds`` from now (see :func:`training_threads`)."""
    global _lent_until
    with _lent_lock:
        _lent_until = max(_lent_until, time.monotonic() + seconds)


def training_threads(own: int) -> int:
    """Threads a run with ``own`` threads should train on now: one fewer while predictions
    run beside it (:func:`lend_core`), never fewer than one.

    A run's threads work in lockstep, each waiting for the others at every operation: when a
    prediction takes one of their cores, the run does not lose a core's share but stalls at
    every step. Measured on 2 cores with ten clients predicting beside a LoRA run: the run kept
    14% of its speed on both threads, 28% on one.
    """
    return max(1, own - 1) if time.monotonic() < _lent_until else own
